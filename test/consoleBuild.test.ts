import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, expectAccessible, openConsole } from './helpers/console.ts';
import {
  buildStatus,
  claim,
  complete,
  createApiKey,
  heartbeat,
  recordBuildTelemetry,
  registerWorker,
  sha256,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';

// The build page in a real browser against the production build served by the real server, with
// the worker protocol driven step by step (flows.ts) so each state is seen on the page: why a
// build waits, its live way to COMPLETED with telemetry and a download, cancel and retry from the
// page, and a VIEWER who sees no action.

let browser: Browser;
const { server } = useServer();
let workerKey: string;

beforeAll(async () => {
  browser = await launchChromium();
  await ensureConsoleBuilt();
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a build's page signed in with `key` and waits until it is live. */
async function openBuild(key: string, buildId: string, options: Parameters<typeof openConsole>[2] = {}): Promise<Page> {
  // Opened signed out, the link leads through sign-in back to the build, as a shared link does.
  const page = await openConsole(browser, server, { key, path: `/builds/${buildId}`, ...options });
  await page.getByRole('heading', { level: 1, name: `Build ${buildId.slice(0, 8)}` }).waitFor();
  await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
  return page;
}

const statusOf = (page: Page, status: string) =>
  page.getByTestId('build-status').getByText(status, { exact: true }).waitFor({ timeout: 15_000 });

const waitReason = (page: Page) => page.getByRole('region', { name: 'Why it waits' });

describe('the build page', () => {
  it('says why a build waits (its place, the label nobody offers), then follows it to COMPLETED live; its download matches its SHA-256', async () => {
    // Ahead of it in the IOS queue: a more urgent build without labels.
    const ahead = await submitBuild(server, server.adminKey, { platform: 'IOS', priority: 10 });
    const build = await submitBuild(server, server.adminKey, {
      platform: 'IOS',
      requiredLabels: ['xcode=16.2'],
      metadata: { appName: 'Shop', version: '1.2.3' },
    });
    const gpuWorker = await registerWorker(server, workerKey, { name: 'mac-gpu', platforms: ['IOS'], labels: ['gpu'] });

    const page = await openBuild(server.adminKey, build.id);
    // Marks this document: still there at the end means the page never reloaded.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same document'));
    const reason = waitReason(page);
    await reason.getByText('xcode=16.2').waitFor();
    expect(await reason.textContent()).toContain('No live worker can take it');
    expect(await reason.textContent()).toContain('number 2 in the IOS queue');
    expect(await page.getByRole('region', { name: 'Overview' }).textContent()).toContain('Shop');
    await expectAccessible(page, 'build-pending');

    // The build ahead is taken; a worker with the label joins: the reason follows, without reload.
    expect((await claim(server, gpuWorker.token))?.id).toBe(ahead.id);
    await reason.getByText('next in the IOS queue').waitFor({ timeout: 15_000 });
    const xcodeWorker = await registerWorker(server, workerKey, { name: 'mac-xcode', platforms: ['IOS'], labels: ['xcode=16.2'] });
    await reason.getByText('1 live worker could take it').waitFor({ timeout: 15_000 });

    expect((await claim(server, xcodeWorker.token))?.id).toBe(build.id);
    await statusOf(page, 'ASSIGNED');
    expect(await waitReason(page).count()).toBe(0);
    expectData(await heartbeat(server, xcodeWorker.token, build.id, 40));
    await statusOf(page, 'BUILDING');
    const workerLink = page.getByRole('region', { name: 'Overview' }).getByRole('link', { name: 'mac-xcode' });
    expect(await workerLink.getAttribute('href')).toBe(`/workers/${xcodeWorker.workerId}`);

    // A minute of samples, 10 s apart, as the worker observed them; two stages, one still running.
    const start = Date.now() - 60_000;
    const at = (second: number) => new Date(start + second * 1000).toISOString();
    const samples = [35, 80, 95, 60, 70, 55].flatMap((percent, index) => [
      { at: at(index * 10), kind: 'sample.cpu', data: { percent } },
      { at: at(index * 10), kind: 'sample.memory', data: { bytes: (2 + index / 4) * 1024 ** 3 } },
    ]);
    const events = [
      { at: at(0), kind: 'stage.started', data: { stage: 'dependencies' } },
      ...samples,
      { at: at(42), kind: 'stage.finished', data: { stage: 'dependencies', durationMs: 42_000 } },
      { at: at(42), kind: 'stage.started', data: { stage: 'archive' } },
      { at: at(43), kind: 'cache.hit', data: { key: 'pods' } },
    ];
    expectData(await recordBuildTelemetry(server, xcodeWorker.token, build.id, events));
    const telemetry = page.getByRole('region', { name: 'Telemetry' });
    await telemetry.getByRole('figure', { name: 'CPU' }).waitFor({ timeout: 15_000 });
    expect(await telemetry.textContent()).toContain('peak 95 %');
    expect(await telemetry.textContent()).toContain('dependencies 42 s, archive 8 s (running)');

    const result = randomBytes(64 * 1024);
    expectData(await complete(server, xcodeWorker.token, build.id, result));
    await statusOf(page, 'COMPLETED');
    const download = page.getByTestId('result-download');
    await download.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('result-sha256').textContent()).toBe(sha256(result));
    const response = await fetch(new URL((await download.getAttribute('href'))!, server.url));
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(result));
    expect(await page.getByRole('region', { name: 'Artifacts' }).textContent()).toContain('64.0 KB');

    const timeline = await page.getByRole('region', { name: 'Timeline' }).textContent();
    expect(timeline).toContain('PENDING → ASSIGNED');
    expect(timeline).toContain('BUILDING → COMPLETED');
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document');
    await expectAccessible(page, 'build-completed');
    await page.context().close();
  });

  it('cancels a running build from the page after confirmation, then retries it onto a new build', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER', 'dana');
    const build = await submitBuild(server, submitter.secret, { platform: 'ANDROID', priority: 500 });
    const worker = await registerWorker(server, workerKey, { name: 'linux-1', platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await heartbeat(server, worker.token, build.id, 10));

    const page = await openBuild(submitter.secret, build.id, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await statusOf(page, 'BUILDING');
    await page.getByRole('button', { name: 'Cancel build' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel build ${build.id.slice(0, 8)}?` });
    await dialog.waitFor();
    await expectAccessible(page, 'build-cancel-dialog-phone-dark');
    await dialog.getByRole('button', { name: 'Cancel build' }).click();
    await statusOf(page, 'CANCELLED');
    expect(await buildStatus(server, build.id)).toBe('CANCELLED');
    // The worker hears it on its next heartbeat; the reason names who cancelled.
    expect(expectData(await heartbeat(server, worker.token, build.id)).heartbeat.cancelRequested).toBe(true);
    expect(await page.getByRole('region', { name: 'Timeline' }).textContent()).toContain('Cancelled from the console by dana');
    await expectAccessible(page, 'build-cancelled-phone-dark');

    await page.getByRole('button', { name: 'Retry build' }).click();
    await page
      .getByRole('dialog', { name: `Retry build ${build.id.slice(0, 8)}?` })
      .getByRole('button', { name: 'Retry build' })
      .click();
    await page.waitForURL((url) => url.pathname.startsWith('/builds/') && !url.pathname.endsWith(build.id), { timeout: 15_000 });
    const retryId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { level: 1, name: `Build ${retryId.slice(0, 8)}` }).waitFor();
    await statusOf(page, 'PENDING');
    expect(
      await page
        .getByRole('region', { name: 'Overview' })
        .getByRole('link', { name: `Build ${build.id.slice(0, 8)}` })
        .count(),
    ).toBe(1);
    await page.context().close();
  });

  it('shows a VIEWER the build and no action', async () => {
    const viewer = await createApiKey(server, 'VIEWER', 'erin');
    const build = await submitBuild(server, server.adminKey, { platform: 'ANDROID', requiredLabels: ['ndk=27'] });
    const page = await openBuild(viewer.secret, build.id);
    await waitReason(page).getByText('ndk=27').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel build' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry build' }).count()).toBe(0);
    await expectAccessible(page, 'build-viewer');
    await page.context().close();
  });

  it('says so when no build has the id', async () => {
    const page = await openBuild(server.adminKey, '00000000-0000-4000-8000-000000000000');
    await page.getByText('No build with this id').waitFor();
    await expectAccessible(page, 'build-not-found');
    await page.context().close();
  });
});
