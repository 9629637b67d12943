import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, expectAccessible, openConsole, screenshot } from './helpers/console.ts';
import {
  cancelBuild,
  claim,
  complete,
  createApiKey,
  failBuild,
  heartbeat,
  registerWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';

// The dashboard in a real browser against the production build and a real server: the guide of a
// fresh install, the numbers after builds complete, fail and are cancelled (checked against the
// server's own queueStats), a chart with data, a count moving live, the range selector in the URL.

let browser: Browser;
const { server } = useServer();
let workerKey: string;

beforeAll(async () => {
  browser = await launchChromium();
  await ensureConsoleBuilt();
  workerKey = (await createApiKey(server, 'WORKER', 'dashboard-fleet')).secret;
});

afterAll(async () => {
  await browser?.close();
});

interface ServerStats {
  builds: { status: string; count: number }[];
  finishedTodayByStatus: { status: string; count: number }[];
  workers: { status: string; count: number }[];
  oldestPendingSubmittedAt: string | null;
}

/** What the server says queueStats is now. */
async function serverStats(): Promise<ServerStats> {
  const data = expectData(
    await graphql<{ queueStats: ServerStats }>(
      server.graphqlUrl,
      `
        {
          queueStats {
            builds {
              status
              count
            }
            finishedTodayByStatus {
              status
              count
            }
            workers {
              status
              count
            }
            oldestPendingSubmittedAt
          }
        }
      `,
      {},
      server.adminKey,
    ),
  );
  return data.queueStats;
}

const total = (rows: { status: string; count: number }[], status: string) =>
  rows.filter((row) => row.status === status).reduce((sum, row) => sum + row.count, 0);

/** The number a dashboard card shows beside a status (the element holds the badge and the number). */
async function shownCount(page: Page, card: string, status: string): Promise<number> {
  const text = await page.getByRole('region', { name: card }).locator(`[data-status="${status}"]`).textContent();
  return Number(text?.replace(/\D/g, ''));
}

/** Waits until a card shows `count` beside `status`. */
async function waitForCount(page: Page, card: string, status: string, count: number) {
  await page
    .getByRole('region', { name: card })
    .locator(`[data-status="${status}"]`)
    .filter({ hasText: new RegExp(`^${status}\\s*${count}$`) })
    .waitFor({ timeout: 15_000 });
}

const throughputSummary = (page: Page) => page.locator('[data-chart="chart-throughput"] [data-chart-summary]');

describe('dashboard', () => {
  it('a fresh install shows the getting-started guide instead of empty charts, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openConsole(browser, server, { key: server.adminKey, colorScheme });
      const guide = page.getByRole('region', { name: 'No builds yet: get started' });
      await guide.waitFor({ timeout: 15_000 });
      expect(await guide.textContent()).toContain('docs/worker.md');
      expect(await guide.getByRole('link', { name: 'API keys' }).count()).toBe(1);
      expect(await page.locator('[data-chart]').count()).toBe(0);
      // Dark, the guide's links were told from their text by colour alone (1.79:1): they are underlined.
      await expectAccessible(page, `dashboard-fresh-${colorScheme}`);
      await page.context().close();
    }
  });

  it('shows the numbers the server reports after builds complete, fail and are cancelled, with a throughput chart', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'dash-mac' });
    // Two completed (iOS, Android), one failed, one cancelled, one left pending.
    for (const platform of ['IOS', 'ANDROID'] as const) {
      const build = await submitBuild(server, server.adminKey, { platform });
      expect((await claim(server, worker.token))?.id).toBe(build.id);
      expectData(await heartbeat(server, worker.token, build.id, 50)); // BUILDING: the duration counts from here
      expectData(await complete(server, worker.token, build.id));
    }
    const failing = await submitBuild(server, server.adminKey, { platform: 'IOS' });
    expect((await claim(server, worker.token))?.id).toBe(failing.id);
    expectData(await failBuild(server, worker.token, failing.id, { message: 'compile error' }));
    const cancelled = await submitBuild(server, server.adminKey, { platform: 'ANDROID' });
    expectData(await cancelBuild(server, server.adminKey, cancelled.id));
    await submitBuild(server, server.adminKey, { platform: 'IOS' });

    const stats = await serverStats();
    expect(total(stats.finishedTodayByStatus, 'COMPLETED')).toBe(2);
    const page = await openConsole(browser, server, { key: server.adminKey });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    await waitForCount(page, 'Builds by status', 'PENDING', total(stats.builds, 'PENDING'));
    for (const status of ['PENDING', 'ASSIGNED', 'BUILDING']) {
      expect(await shownCount(page, 'Builds by status', status)).toBe(total(stats.builds, status));
    }
    expect(await page.locator('[data-platforms="PENDING"]').textContent()).toBe('iOS 1 · Android 0');
    for (const status of ['COMPLETED', 'FAILED', 'CANCELLED']) {
      expect(await shownCount(page, 'Finished today', status)).toBe(total(stats.finishedTodayByStatus, status));
    }
    expect(await shownCount(page, 'Finished today', 'FAILED')).toBe(1);
    for (const status of ['IDLE', 'BUILDING', 'DRAINING', 'OFFLINE']) {
      expect(await shownCount(page, 'Workers by status', status)).toBe(total(stats.workers, status));
    }
    expect(await page.locator('[data-oldest-pending]').getAttribute('data-oldest-pending')).toBe('waiting');
    // Queue wait and duration percentiles are known once builds were claimed and completed.
    for (const row of ['queue-wait', 'build-duration']) {
      expect(await page.locator(`[data-latency="${row}"] [data-percentile="p50"] dd`).textContent(), row).not.toBe('—');
    }

    // The chart draws the finished builds of this range.
    expect(await throughputSummary(page).textContent()).toBe('2 completed, 1 failed, 1 cancelled in the last 6 hours.');
    await page.locator('[data-chart="chart-throughput"] .recharts-bar-rectangle path').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-chart="chart-queue-wait"] .recharts-line path').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'dashboard-light');
    await page.context().close();

    const dark = await openConsole(browser, server, { key: server.adminKey, colorScheme: 'dark' });
    await dark.locator('[data-chart="chart-throughput"] .recharts-bar-rectangle path').first().waitFor({ timeout: 15_000 });
    await expectAccessible(dark, 'dashboard-dark');
    await dark.context().close();

    const phone = await openConsole(browser, server, { key: server.adminKey, viewport: { width: 390, height: 844 } });
    await phone.locator('[data-chart="chart-throughput"] .recharts-bar-rectangle path').first().waitFor({ timeout: 15_000 });
    await screenshot(phone, 'dashboard-phone');
    await phone.context().close();
  });

  it('updates counts and the chart live, without a reload', async () => {
    // The last hour's chart: its refetch after a push waits the least (6 s).
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/?range=1h' });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    const before = await serverStats();
    const completedBefore = total(before.finishedTodayByStatus, 'COMPLETED');
    await waitForCount(page, 'Finished today', 'COMPLETED', completedBefore);

    const worker = await registerWorker(server, workerKey, { name: 'dash-live' });
    const claimed = await claim(server, worker.token);
    expect(claimed).not.toBeNull();
    await waitForCount(page, 'Builds by status', 'ASSIGNED', 1);
    expectData(await complete(server, worker.token, claimed!.id));
    await waitForCount(page, 'Finished today', 'COMPLETED', completedBefore + 1);
    await waitForCount(page, 'Builds by status', 'ASSIGNED', 0);
    // The history fetches again after the push (throttled): the chart's total moves too.
    await throughputSummary(page)
      .filter({ hasText: `${completedBefore + 1} completed` })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-oldest-pending]').getAttribute('data-oldest-pending')).toBe('none');
    await page.context().close();
  });

  it('keeps the chart range in the URL, across a reload', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey });
    await throughputSummary(page).waitFor({ timeout: 15_000 });
    await page.getByText('Last 24h', { exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('range') === '24h');
    await throughputSummary(page).filter({ hasText: 'in the last 24 hours' }).waitFor({ timeout: 15_000 });

    await page.reload();
    await throughputSummary(page).filter({ hasText: 'in the last 24 hours' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('radio', { name: 'Last 24h' }).isChecked()).toBe(true);

    await page.getByText('Last 1h', { exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('range') === '1h');
    await throughputSummary(page).filter({ hasText: 'in the last hour' }).waitFor({ timeout: 15_000 });
    // The default range leaves the URL clean.
    await page.getByText('Last 6h', { exact: true }).click();
    await page.waitForURL((url) => !url.searchParams.has('range'));
    await page.context().close();
  });
});
