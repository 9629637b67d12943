import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../examples/webhook-receiver.mjs';
import { launchChromium } from './helpers/browser.ts';
import { confirmAction, ensureConsoleBuilt, expectAccessible, openConsole, screenshot } from './helpers/console.ts';
import { claim, complete, createApiKey, eventually, heartbeat, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhookReceiver.ts';
import { deliveriesOf, expectSignedRequest, newWebhook, WEBHOOK_FIELDS } from './helpers/webhooks.ts';

// The console's webhooks pages in a real browser against the production build and the real
// server, with a real receiver on 127.0.0.1: add a webhook (its secret shown once), a build's
// deliveries arriving DELIVERED, a receiver answering 500 and a redelivery under the same id,
// disable / enable / edit / rotate / delete, paging and filtering deliveries, and what a VIEWER sees.

let browser: Browser;
// The receiver is on loopback, which the server refuses unless allowed. Attempts time out after 2 s.
// A failed delivery's retry waits a random time up to an hour, so what sends it again within the
// test is the redelivery (were the retry to come first, the checks below still hold).
const { server } = useServer({
  FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '2',
  FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS: '3600',
});
const receiver = {} as WebhookReceiver;

beforeAll(async () => {
  browser = await launchChromium();
  Object.assign(receiver, await startWebhookReceiver());
  receiver.answerWith((request) => (request.path === '/flaky' ? { status: 500, body: 'receiver down' } : { status: 204 }));
  await ensureConsoleBuilt();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await receiver.close?.();
});

const onPath = (path: string) => (request: ReceivedRequest) => request.path === path;

/** A delivery's row on a webhook page. */
const deliveryRow = (page: Page, deliveryId: string) => page.locator(`tr[data-delivery-id="${deliveryId}"]`);

const readWebhook = async (id: string) =>
  expectData(
    await graphql<{ webhook: { url: string; description: string | null; events: string[]; enabled: boolean } | null }>(
      server.graphqlUrl,
      `query ($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } }`,
      { id },
      server.adminKey,
    ),
  ).webhook;

describe('adding a webhook', () => {
  it('an admin adds one from the empty list, sees its secret once, and a build it is told of shows DELIVERED on its page', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey });
    await page.getByRole('navigation', { name: 'Pages', exact: true }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    // The pointer off the navigation: the active link under it is under 4.5:1 contrast (the shell's, reported).
    await page.mouse.move(640, 790);
    await page.getByText('No webhooks yet').waitFor();
    await screenshot(page, 'console-webhooks-empty');

    await page.getByRole('button', { name: 'Add webhook' }).click();
    const form = page.getByRole('region', { name: 'Add a webhook' });
    // A private address is refused by the server, which says why beside the form.
    await form.getByLabel('URL').fill('http://192.168.10.20/hook');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const refusal = form.getByRole('alert').filter({ hasText: 'Could not add the webhook' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('192.168.10.20');
    await screenshot(page, 'console-webhooks-refused');

    const url = `${receiver.url}/console`;
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('Description').fill('CI notifications');
    for (const event of ['build.submitted', 'build.started']) await form.getByRole('checkbox', { name: new RegExp(event) }).check();
    expect(await form.getByRole('checkbox', { name: /build\.completed/ }).isChecked()).toBe(true);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const secretBox = form.locator('[data-secret]');
    await secretBox.waitFor();
    const secret = (await secretBox.textContent())!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(await form.textContent()).toContain('docs/webhooks.md');
    // Checked with the pointer on the copy button: hovered, it once fell under 4.5:1 contrast, which
    // showed only when a loaded machine took longer than its 4 s "Copied" to reach the check.
    const copy = form.getByRole('button', { name: 'Copy secret' });
    await copy.hover();
    await expectAccessible(page, 'console-webhooks-secret');
    await copy.click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // Once dismissed, the secret is nowhere on the page; the list holds the webhook.
    await form.getByRole('button', { name: 'I stored it, done' }).click();
    const link = page.getByRole('link', { name: url });
    await link.waitFor();
    expect(await page.content()).not.toContain(secret);
    const row = page.locator('tr[data-webhook-id]');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('CI notifications');
    expect(await row.textContent()).toContain('Enabled');
    await expectAccessible(page, 'console-webhooks');

    await link.click();
    await page.getByRole('heading', { level: 1, name: `Webhook to ${new URL(url).host}` }).waitFor();
    await page.getByText('No deliveries yet').waitFor();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });

    // A build's life through the API: submitted, started, completed reach the receiver and the page.
    const workerKey = (await createApiKey(server, 'WORKER', 'webhook worker')).secret;
    const worker = await registerWorker(server, workerKey, { name: 'hooked-mac' });
    const build = await submitBuild(server, server.adminKey, { metadata: { appName: 'Hooks' } });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await heartbeat(server, worker.token, build.id, 50));
    expectData(await complete(server, worker.token, build.id));
    const requests = await receiver.waitFor(3, onPath('/console'));
    for (const request of requests) expectSignedRequest(request, secret);

    const delivered = page.locator('tr[data-delivery-id][data-status="DELIVERED"]');
    await eventually(async () => ((await delivered.count()) === 3 ? true : undefined), 15_000, 'three DELIVERED rows');
    const completedRequest = requests.find((request) => request.body.event === 'build.completed')!;
    const completedRow = deliveryRow(page, completedRequest.body.id);
    expect(await completedRow.textContent()).toMatch(/build\.completed.*DELIVERED.*1.*204/);
    expect(await completedRow.textContent()).toContain('Delivered');

    // The payload, as sent, unfolds below its row.
    await completedRow.getByRole('button', { name: 'Payload' }).click();
    const payload = page.getByRole('region', { name: `Payload of delivery ${completedRequest.body.id}` });
    await payload.waitFor();
    expect(JSON.parse((await payload.textContent())!)).toEqual(completedRequest.body);
    await expectAccessible(page, 'console-webhook');
    await page.context().close();
  });
});

describe('a failing receiver', () => {
  it('shows the failed attempt, filters by status, disables and enables the webhook, and Redeliver sends the delivery again under its id', async () => {
    const webhook = await newWebhook(server, { url: `${receiver.url}/flaky`, events: ['BUILD_SUBMITTED'] });
    await submitBuild(server, server.adminKey);
    const [first] = await receiver.waitFor(1, onPath('/flaky'));
    const deliveryId = first!.body.id as string;
    // The page is not pushed a recorded attempt (it looks again every half minute): open it once the answer is recorded.
    await eventually(
      async () =>
        (await deliveriesOf(server, webhook.id)).find((delivery) => delivery.id === deliveryId && delivery.responseStatus === 500),
      15_000,
      'the failed attempt to be recorded',
    );

    const page = await openConsole(browser, server, { key: server.adminKey, path: `/webhooks/${webhook.id}` });
    const row = deliveryRow(page, deliveryId);
    await row.locator('[data-column="answer"]', { hasText: '500' }).waitFor();
    expect(await row.getAttribute('data-status')).toBe('PENDING');
    expect(await row.locator('[data-column="error"]').textContent()).toContain('Answered HTTP 500: receiver down');
    expect(await row.textContent()).toContain('Next in');
    await screenshot(page, 'console-webhook-failing');

    // The status filter lives in the URL.
    const deliveries = page.getByRole('region', { name: 'Deliveries' });
    await deliveries.getByText('Delivered', { exact: true }).click();
    await deliveries.getByText('Nothing delivered').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('DELIVERED');
    await deliveries.getByText('Pending', { exact: true }).click();
    await row.waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('PENDING');

    // Disabled, it is sent nothing, and Redeliver waits until it is enabled again.
    const header = page.locator('main header');
    await confirmAction(page, header, 'Disable');
    await header.getByText('Disabled', { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: 'Redeliver' }).isDisabled()).toBe(true);
    expect((await readWebhook(webhook.id))!.enabled).toBe(false);
    await screenshot(page, 'console-webhook-disabled');
    await header.getByRole('button', { name: 'Enable', exact: true }).click();
    await header.getByText('Enabled', { exact: true }).waitFor();
    expect((await readWebhook(webhook.id))!.enabled).toBe(true);

    receiver.answerWith(() => ({ status: 204 }));
    const sentBefore = receiver.requests.filter(onPath('/flaky')).length;
    await confirmAction(page, row, 'Redeliver');
    const again = await receiver.waitFor(sentBefore + 1, onPath('/flaky'));
    expect(again.at(-1)!.headers['free-agent-delivery']).toBe(deliveryId);
    expectSignedRequest(again.at(-1)!, webhook.secret);
    // Delivered, it leaves the PENDING filter; under "All" it shows DELIVERED, every attempt counted.
    await deliveries.getByText('All', { exact: true }).click();
    await page.locator(`tr[data-delivery-id="${deliveryId}"][data-status="DELIVERED"]`).waitFor({ timeout: 15_000 });
    expect(Number(await row.locator('[data-column="attempts"]').textContent())).toBe(receiver.requests.filter(onPath('/flaky')).length);
    expect(await row.locator('[data-column="answer"]').textContent()).toBe('204');
    await page.context().close();
  });
});

describe('managing a webhook', () => {
  it('pages its deliveries, edits it (showing what the server refuses), rotates its secret and deletes it', async () => {
    const before = `${receiver.url}/before`;
    const webhook = await newWebhook(server, { url: before, events: ['BUILD_SUBMITTED'], description: 'old' });
    const builds = 21;
    await Promise.all(Array.from({ length: builds }, () => submitBuild(server, server.adminKey)));
    await eventually(async () => {
      const deliveries = await deliveriesOf(server, webhook.id);
      return deliveries.length === builds && deliveries.every((delivery) => delivery.status === 'DELIVERED') ? true : undefined;
    });

    const page = await openConsole(browser, server, { key: server.adminKey, path: `/webhooks/${webhook.id}` });
    const rows = page.locator('tr[data-delivery-id]');
    await eventually(async () => ((await rows.count()) === 20 ? true : undefined), 15_000, 'a page of 20 deliveries');
    const pages = page.getByRole('navigation', { name: 'Pages of deliveries' });
    await pages.getByRole('button', { name: 'Older →' }).click();
    await eventually(async () => ((await rows.count()) === 1 ? true : undefined), 15_000, 'the older page of 1');
    await pages.getByRole('button', { name: 'Newest' }).click();
    await eventually(async () => ((await rows.count()) === 20 ? true : undefined), 15_000, 'the newest page again');

    // Edits: a refused URL shows the server's words and changes nothing; a good one is saved.
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByLabel('URL').fill('http://10.1.2.3/hook');
    await settings.getByRole('button', { name: 'Save changes' }).click();
    const refusal = settings.getByRole('alert').filter({ hasText: 'Could not save the webhook' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('10.1.2.3');
    expect((await readWebhook(webhook.id))!.url).toBe(before);

    const after = `${receiver.url}/after`;
    await settings.getByLabel('URL').fill(after);
    await settings.getByLabel('Description').fill('new');
    await settings.getByRole('checkbox', { name: /build\.cancelled/ }).check();
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await settings.getByRole('status').getByText('Saved.').waitFor();
    const saved = (await readWebhook(webhook.id))!;
    expect(saved).toMatchObject({ url: after, description: 'new' });
    expect([...saved.events].sort()).toEqual(['BUILD_CANCELLED', 'BUILD_SUBMITTED']);
    await page.getByRole('heading', { level: 1, name: `Webhook to ${new URL(after).host}` }).waitFor();

    // Rotating shows the new secret once; requests from then on are signed with it only.
    await confirmAction(page, page.locator('main header'), 'Rotate secret');
    const secretBox = page.locator('[data-secret]');
    await secretBox.waitFor();
    const rotated = (await secretBox.textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(webhook.secret);
    await screenshot(page, 'console-webhook-rotated');
    await page.getByRole('button', { name: 'I stored it, done' }).click();
    await secretBox.waitFor({ state: 'detached' });
    await submitBuild(server, server.adminKey);
    const [request] = await receiver.waitFor(1, onPath('/after'));
    expectSignedRequest(request!, rotated);
    expect(verifySignature(webhook.secret, request!.headers['free-agent-signature'], request!.rawBody)).toBe(false);

    await confirmAction(page, page.locator('main header'), 'Delete');
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByRole('link', { name: after }).waitFor({ state: 'detached' });
    expect(await readWebhook(webhook.id)).toBeNull();
    await page.context().close();
  });
});

describe('other roles', () => {
  it('a VIEWER key has no Webhooks in its navigation, and the pages say they are for admins', async () => {
    const viewer = (await createApiKey(server, 'VIEWER', 'webhook watcher')).secret;
    const page = await openConsole(browser, server, { key: viewer });
    const navigation = page.getByRole('navigation', { name: 'Pages', exact: true });
    await navigation.getByRole('link', { name: 'Builds' }).waitFor();
    expect(await navigation.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    for (const path of ['/webhooks', '/webhooks/0b6c3c1e-0000-4000-8000-000000000000']) {
      await page.goto(new URL(path, server.url).href);
      await page.getByText('Webhooks are for admins only').waitFor();
      expect(await page.getByRole('button', { name: /Add webhook|Delete|Redeliver/ }).count()).toBe(0);
    }
    await expectAccessible(page, 'console-webhooks-viewer');
    await page.context().close();
  });
});
