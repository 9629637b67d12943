import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, expectAccessible, openConsole, screenshot } from './helpers/console.ts';
import { buildStatus, claim, complete, createApiKey, eventually, registerWorker, submitBuild, useServer } from './helpers/flows.ts';

// The builds table in a real browser against the production build and the real server: filters
// that live in the URL, live status changes and new builds without reload (and without moving
// rows under a reader who has selected some), bulk cancel, and a read-only key that sees no action.

let browser: Browser;
const { server } = useServer();

beforeAll(async () => {
  browser = await launchChromium();
  await ensureConsoleBuilt();
});

afterAll(async () => {
  await browser?.close();
});

/** Submits a build whose metadata names the app (the table's Build column), as the admin. */
const submitApp = (appName: string, version: string, input: { platform?: 'IOS' | 'ANDROID'; priority?: number } = {}) =>
  submitBuild(server, server.adminKey, { ...input, metadata: { appName, version } });

const table = (page: Page) => page.getByRole('table', { name: 'Builds' });
const rows = (page: Page) => table(page).locator('tbody tr');
const row = (page: Page, buildId: string) => table(page).locator(`tr[data-build-id="${buildId}"]`);

/** Waits until the table shows exactly these builds (in any order). */
async function waitForRows(page: Page, buildIds: string[]) {
  await eventually(
    async () => {
      const shown = await rows(page).evaluateAll((elements) => elements.map((element) => element.getAttribute('data-build-id')));
      return shown.length === buildIds.length && buildIds.every((id) => shown.includes(id)) ? true : undefined;
    },
    15_000,
    `rows ${buildIds.join(', ')}`,
  );
}

/** The Platform filter's input (Mantine's Select: a text input that opens a listbox). */
const platformFilter = (page: Page) => page.getByLabel('Platform', { exact: true }).first();

const liveConsole = async (page: Page) => page.locator('[data-connection="live"]').first().waitFor({ timeout: 15_000 });

describe('builds table', () => {
  it('filters by platform, text and status into the URL, and a reload shows the same view', async () => {
    const alphaIos = await submitApp('Alpha', '1.0.0', { platform: 'IOS' });
    const alphaAndroid = await submitApp('Alpha', '1.0.1', { platform: 'ANDROID' });
    await submitApp('Beta', '2.0.0', { platform: 'IOS' });

    const page = await openConsole(browser, server, { key: server.adminKey, path: '/builds' });
    await table(page).waitFor();
    await page.getByRole('searchbox', { name: 'Search builds' }).fill('Alpha');
    await waitForRows(page, [alphaIos.id, alphaAndroid.id]);
    await platformFilter(page).click();
    await page.getByRole('option', { name: 'IOS' }).click();
    await waitForRows(page, [alphaIos.id]);
    expect(await row(page, alphaIos.id).textContent()).toContain('Alpha 1.0.0');

    const url = new URL(page.url());
    expect(url.searchParams.get('text')).toBe('Alpha');
    expect(url.searchParams.get('platform')).toBe('IOS');
    await page.reload();
    await waitForRows(page, [alphaIos.id]);
    expect(await page.getByRole('searchbox', { name: 'Search builds' }).inputValue()).toBe('Alpha');
    expect(await platformFilter(page).inputValue()).toBe('IOS');

    // A status in the URL narrows the same way; none of these builds is FAILED.
    await page.goto(new URL('/builds?text=Alpha&status=FAILED', server.url).href);
    await page.getByText('No builds match these filters').waitFor();
    await expectAccessible(page, 'builds-empty');
    await page.context().close();
  });

  it('a build goes PENDING → COMPLETED in the table without a reload, driven by a worker', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/builds?text=Gamma' });
    await page.getByText('No builds match these filters').waitFor();
    await liveConsole(page);
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    // Highest priority, so the worker below claims this one rather than another test's.
    const build = await submitApp('Gamma', '3.1.4', { platform: 'ANDROID', priority: 100 });
    await row(page, build.id).and(page.locator('[data-status="PENDING"]')).waitFor({ timeout: 15_000 });

    const workerKey = await createApiKey(server, 'WORKER', 'builds-table-agents');
    const worker = await registerWorker(server, workerKey.secret, { name: 'mac-gamma', platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    await row(page, build.id).and(page.locator('[data-status="ASSIGNED"]')).waitFor({ timeout: 15_000 });
    expect(await row(page, build.id).textContent()).toContain('mac-gamma');
    await complete(server, worker.token, build.id);
    await row(page, build.id).and(page.locator('[data-status="COMPLETED"]')).waitFor({ timeout: 15_000 });

    expect(await page.evaluate(() => (window as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expectAccessible(page, 'builds-live');
    await page.context().close();
  });

  it('new builds wait behind "N new builds" while the reader has rows selected, then show on request', async () => {
    const first = await submitApp('Epsilon', '1.0.0');
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/builds?text=Epsilon' });
    await waitForRows(page, [first.id]);
    await liveConsole(page);
    await page.getByRole('checkbox', { name: `Select build ${first.id.slice(0, 8)}` }).check();

    const second = await submitApp('Epsilon', '1.0.1');
    const announcement = page.getByRole('button', { name: 'Show new builds' });
    await announcement.waitFor({ timeout: 15_000 });
    expect(await page.getByRole('status').filter({ hasText: 'new build' }).textContent()).toContain('1 new build');
    // The table did not move: still only the first build, still selected.
    await waitForRows(page, [first.id]);
    expect(await page.getByRole('checkbox', { name: `Select build ${first.id.slice(0, 8)}` }).isChecked()).toBe(true);
    await screenshot(page, 'builds-new-announced');

    await announcement.click();
    await waitForRows(page, [first.id, second.id]);
    expect(await announcement.count()).toBe(0);
    await page.context().close();
  });

  it('cancels two selected builds at once after confirmation, then retries them', async () => {
    const builds = [await submitApp('Delta', '4.0.0'), await submitApp('Delta', '4.0.1')];
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/builds?text=Delta' });
    await waitForRows(
      page,
      builds.map((build) => build.id),
    );
    for (const build of builds) await page.getByRole('checkbox', { name: `Select build ${build.id.slice(0, 8)}` }).check();
    await page.getByRole('region', { name: 'Selected builds' }).getByRole('button', { name: 'Cancel 2 builds' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel 2 builds?' });
    await dialog.waitFor();
    await expectAccessible(page, 'builds-bulk-cancel');
    await dialog.getByRole('button', { name: 'Cancel 2 builds' }).click();
    await dialog.waitFor({ state: 'hidden' });

    for (const build of builds) {
      await row(page, build.id).and(page.locator('[data-status="CANCELLED"]')).waitFor({ timeout: 15_000 });
      expect(await buildStatus(server, build.id)).toBe('CANCELLED');
    }
    // The selection is gone with the action, and so is its bar.
    expect(await page.getByRole('region', { name: 'Selected builds' }).count()).toBe(0);
    await expectAccessible(page, 'builds');

    // The cancelled builds are finished: retried together, two new builds join the table.
    for (const build of builds) await page.getByRole('checkbox', { name: `Select build ${build.id.slice(0, 8)}` }).check();
    await page.getByRole('region', { name: 'Selected builds' }).getByRole('button', { name: 'Retry 2 builds' }).click();
    await page.getByRole('dialog', { name: 'Retry 2 builds?' }).getByRole('button', { name: 'Retry 2 builds' }).click();
    await eventually(async () => ((await table(page).locator('tbody tr[data-status="PENDING"]').count()) === 2 ? true : undefined));
    expect(await rows(page).count()).toBe(4);
    await page.context().close();
  });

  it('a VIEWER sees the builds but no selection and no action', async () => {
    const build = await submitApp('Zeta', '5.0.0');
    const viewer = await createApiKey(server, 'VIEWER', 'watcher');
    const page = await openConsole(browser, server, { key: viewer.secret, path: '/builds?text=Zeta' });
    await waitForRows(page, [build.id]);
    expect(await table(page).getByRole('checkbox').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Cancel|Retry/ }).count()).toBe(0);
    await expectAccessible(page, 'builds-viewer');
    await page.context().close();
  });

  it('pages with cursors in the URL: older, a reload of that page, and back to newer', async () => {
    const builds = [];
    for (let index = 0; index < 52; index++) builds.push(await submitApp('Kappa', `0.${index}`));
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/builds?text=Kappa' });
    // Newest first: the first page holds the 50 newest, the next the 2 oldest.
    await waitForRows(
      page,
      builds.slice(2).map((build) => build.id),
    );
    await page.getByRole('button', { name: 'Older →' }).click();
    await waitForRows(page, [builds[0]!.id, builds[1]!.id]);
    expect(new URL(page.url()).searchParams.get('after')).toBeTruthy();
    await page.reload();
    await waitForRows(page, [builds[0]!.id, builds[1]!.id]);
    await page.getByRole('button', { name: '← Newer' }).click();
    await waitForRows(
      page,
      builds.slice(2).map((build) => build.id),
    );
    expect(new URL(page.url()).searchParams.get('before')).toBeTruthy();
    expect(new URL(page.url()).searchParams.get('text')).toBe('Kappa');
    await page.context().close();
  });

  it('fits a phone and dark mode', async () => {
    const page = await openConsole(browser, server, {
      key: server.adminKey,
      path: '/builds',
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await rows(page).first().waitFor();
    // The filters other than search fold behind a button, so the table is in view.
    expect(await page.getByText('Submitted from').isVisible()).toBe(false);
    await expectAccessible(page, 'builds-phone-dark');
    await page.getByRole('button', { name: 'Filters' }).click();
    await page.getByText('Submitted from').waitFor();
    await page.context().close();
  });
});
