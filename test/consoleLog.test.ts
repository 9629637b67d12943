import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, expectAccessible, openConsole, screenshot } from './helpers/console.ts';
import { appendBuildLogs, claim, createApiKey, failBuild, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { formatLogLink, parseLogLink } from '../web/src/pages/build/log/logHash.ts';
import { sectionMarker, styledRuns, toLogLine, visibleText } from '../web/src/pages/build/log/logLine.ts';
import { findSections, visibleSeqs } from '../web/src/pages/build/log/logSections.ts';

// The build page's log view in a real browser against the production build and the real server:
// live tail, sections, line-range links, server-side search, accessibility. Lines are stored
// through the worker protocol (appendBuildLogs), as an agent would.

let browser: Browser;
let workerToken: string;
const { server } = useServer();

beforeAll(async () => {
  browser = await launchChromium();
  await ensureConsoleBuilt();
  const workerKey = await createApiKey(server, 'WORKER', 'log-agents');
  ({ token: workerToken } = await registerWorker(server, workerKey.secret, { name: 'log-mac', maxConcurrentBuilds: 8 }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

const startedAt = Date.parse('2026-11-30T10:00:00Z');

/** Lines for appendBuildLogs: `text(seq)` for seq from `firstSeq`, one second apart. */
function lines(firstSeq: number, count: number, text: (seq: number) => string) {
  return Array.from({ length: count }, (_, index) => {
    const seq = firstSeq + index;
    return { level: 'INFO', message: text(seq), at: new Date(startedAt + seq * 1000).toISOString() };
  });
}

/** Submits a build, claims it as the worker, and stores `count` lines; returns its id. */
async function buildWithLog(count: number, text: (seq: number) => string): Promise<string> {
  const build = await submitBuild(server, server.adminKey);
  const claimed = await claim(server, workerToken);
  expect(claimed?.id).toBe(build.id);
  for (let first = 1; first <= count; first += 5000) {
    const batch = lines(first, Math.min(5000, count - first + 1), text);
    expect(expectData(await appendBuildLogs(server, workerToken, build.id, first, batch)).appendBuildLogs.accepted).toBe(batch.length);
  }
  return build.id;
}

const row = (page: Page, seq: number) => page.locator(`[data-testid="build-log"] [data-seq="${seq}"]`);

/** Whether the row of `seq` is inside the log's scrolled viewport. */
async function rowOnScreen(page: Page, seq: number): Promise<boolean> {
  return row(page, seq).evaluate((element) => {
    const scroller = element.closest('[role="region"]')!.getBoundingClientRect();
    const box = element.getBoundingClientRect();
    return box.top >= scroller.top - 1 && box.bottom <= scroller.bottom + 1;
  });
}

describe('build log', () => {
  it('shows lines as the worker appends them, and folds a --- section', async () => {
    const buildId = await buildWithLog(40, (seq) =>
      seq === 1
        ? '--- :package: Install dependencies'
        : seq === 20
          ? '+++ \u001b[1mRun tests\u001b[0m'
          : `step ${seq}: \u001b[32mok\u001b[0m`,
    );
    const page = await openConsole(browser, server, { key: server.adminKey, path: `/builds/${buildId}` });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    await row(page, 40).getByText('step 40: ok').waitFor({ timeout: 15_000 });
    // ANSI colours became a styled span, not escape codes.
    expect(await row(page, 40).textContent()).not.toContain('\u001b');
    expect(await row(page, 40).locator('span[style*="color"]').textContent()).toBe('ok');

    // Lines stored while the page is open appear without a reload, and the view follows them.
    expect(
      expectData(
        await appendBuildLogs(
          server,
          workerToken,
          buildId,
          41,
          lines(41, 5, (seq) => `live line ${seq}`),
        ),
      ).appendBuildLogs.accepted,
    ).toBe(5);
    await row(page, 45).getByText('live line 45').waitFor({ timeout: 15_000 });
    expect(await rowOnScreen(page, 45)).toBe(true);
    expect(await page.getByText('45 lines · live').count()).toBe(1);

    // The first section (lines 2–19) folds under its header, which shows its duration (18 s).
    await page.getByRole('button', { name: /Run tests/ }).scrollIntoViewIfNeeded();
    const header = page.getByRole('button', { name: /Install dependencies/ });
    await page.locator('[data-testid="build-log"] [role="region"]').evaluate((element) => element.scrollTo(0, 0));
    await header.waitFor();
    expect(await header.getAttribute('aria-expanded')).toBe('true');
    expect(await header.textContent()).toContain('18 s');
    await row(page, 10).waitFor();
    await header.click();
    expect(await header.getAttribute('aria-expanded')).toBe('false');
    await row(page, 10).waitFor({ state: 'detached' });
    expect(await row(page, 20).count()).toBe(1);
    expect(await header.textContent()).toContain('18 lines');
    await expectAccessible(page, 'build-log');
    await header.click();
    await row(page, 10).waitFor();

    // Lines stored while live updates are paused (the subscription is held) are fetched on resume.
    await page.getByRole('switch', { name: 'Live updates' }).uncheck();
    const missed = lines(46, 5, (seq) => `missed line ${seq}`);
    expect(expectData(await appendBuildLogs(server, workerToken, buildId, 46, missed)).appendBuildLogs.accepted).toBe(5);
    await page.getByRole('switch', { name: 'Live updates' }).check();
    await page.getByText('50 lines · live').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Follow the tail' }).click();
    await row(page, 50).getByText('missed line 50').waitFor({ timeout: 15_000 });
    await page.context().close();
  });

  it('opens a #L120-L140 link at those lines, highlighted, and a click on a number selects a line', async () => {
    const buildId = await buildWithLog(600, (seq) => `compiling module ${seq}`);
    const page = await openConsole(browser, server, { key: server.adminKey, path: `/builds/${buildId}#L120-L140` });
    await row(page, 120).getByText('compiling module 120').waitFor({ timeout: 15_000 });
    expect(await rowOnScreen(page, 120)).toBe(true);
    expect(await row(page, 120).getAttribute('data-selected')).toBe('true');
    expect(await row(page, 140).getAttribute('data-selected')).toBe('true');
    expect(await row(page, 141).getAttribute('data-selected')).toBeNull();
    expect(await row(page, 119).getAttribute('data-selected')).toBeNull();
    await screenshot(page, 'build-log-range');

    // Click a line number, shift-click another: the hash names the range.
    await page.getByRole('link', { name: 'Line 125', exact: true }).click();
    await page.waitForURL((url) => url.hash === '#L125');
    await page.getByRole('link', { name: 'Line 130', exact: true }).click({ modifiers: ['Shift'] });
    await page.waitForURL((url) => url.hash === '#L125-L130');
    expect(await row(page, 128).getAttribute('data-selected')).toBe('true');
    expect(await row(page, 120).getAttribute('data-selected')).toBeNull();

    // Download gives the whole raw log, not only the lines loaded.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    const text = await readFile((await download.path())!, 'utf8');
    expect(text.split('\n')).toEqual([...Array.from({ length: 600 }, (_, index) => `compiling module ${index + 1}`), '']);
    expect(download.suggestedFilename()).toBe(`build-${buildId}-attempt-1.log`);
    await page.context().close();
  });

  it('searches the whole log on the server and jumps to a match that was not loaded', async () => {
    const matches = [700, 2500, 4100];
    const buildId = await buildWithLog(5000, (seq) =>
      matches.includes(seq) ? `warning: Deprecated API used at step ${seq}` : `task ${seq} done`,
    );
    const page = await openConsole(browser, server, {
      key: server.adminKey,
      path: `/builds/${buildId}`,
      colorScheme: 'dark',
    });
    await row(page, 5000).getByText('task 5000 done').waitFor({ timeout: 15_000 });
    expect(await row(page, 700).count()).toBe(0);

    await page.getByRole('searchbox', { name: 'Search the log' }).fill('deprecated api');
    const count = page.getByTestId('log-search-count');
    await count.filter({ hasText: '1 of 3' }).waitFor({ timeout: 15_000 });
    await row(page, 700).getByText('step 700').waitFor({ timeout: 15_000 });
    expect(await rowOnScreen(page, 700)).toBe(true);
    expect(await row(page, 700).locator('mark').textContent()).toBe('Deprecated API');

    await page.getByRole('button', { name: 'Next match' }).click();
    await count.filter({ hasText: '2 of 3' }).waitFor();
    await row(page, 2500).getByText('step 2500').waitFor({ timeout: 15_000 });
    expect(await rowOnScreen(page, 2500)).toBe(true);

    await page.getByRole('searchbox', { name: 'Search the log' }).press('Enter');
    await count.filter({ hasText: '3 of 3' }).waitFor();
    await row(page, 4100).getByText('step 4100').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Previous match' }).click();
    await count.filter({ hasText: '2 of 3' }).waitFor();
    await expectAccessible(page, 'build-log-search-dark');
    await page.context().close();
  });

  it('shows each attempt in its own tab, the latest first, and links to an attempt', async () => {
    const buildId = await buildWithLog(10, (seq) => `first attempt line ${seq}`);
    expectData(await failBuild(server, workerToken, buildId, { message: 'simulator crashed', retryable: true }));
    const again = await claim(server, workerToken);
    expect(again).toMatchObject({ id: buildId, attempt: 2 });
    expectData(
      await appendBuildLogs(
        server,
        workerToken,
        buildId,
        1,
        lines(1, 3, (seq) => `second attempt line ${seq}`),
        2,
      ),
    );

    const page = await openConsole(browser, server, { key: server.adminKey, path: `/builds/${buildId}` });
    await row(page, 3).getByText('second attempt line 3').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('tab', { name: 'Attempt 2 (latest)' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: 'Attempt 1' }).click();
    await page.waitForURL((url) => url.hash === '#attempt-1');
    await row(page, 10).getByText('first attempt line 10').waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Line 4', exact: true }).click();
    await page.waitForURL((url) => url.hash === '#attempt-1/L4');
    // The link opens the same attempt and line in a new page.
    const linked = await openConsole(browser, server, { key: server.adminKey, path: `/builds/${buildId}#attempt-1/L4` });
    await row(linked, 4).getByText('first attempt line 4').waitFor({ timeout: 15_000 });
    expect(await row(linked, 4).getAttribute('data-selected')).toBe('true');
    await linked.context().close();
    await page.context().close();
  });

  it('fits a phone screen', async () => {
    const buildId = await buildWithLog(30, (seq) => `a rather long line of build output that does not fit a phone screen, number ${seq}`);
    const page = await openConsole(browser, server, {
      key: server.adminKey,
      path: `/builds/${buildId}`,
      viewport: { width: 390, height: 844 },
    });
    await row(page, 30).getByText('number 30').waitFor({ timeout: 15_000 });
    await expectAccessible(page, 'build-log-phone');

    // Full screen gives the log the whole screen; Escape gives it back.
    await page.getByRole('button', { name: 'Full screen' }).click();
    const region = page.locator('[data-testid="build-log"] [role="region"]');
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid="build-log"] [role="region"]')?.getBoundingClientRect();
      return box !== undefined && box.height > 600;
    });
    await screenshot(page, 'build-log-phone-full-screen');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Full screen' }).waitFor();
    expect((await region.boundingBox())!.height).toBeLessThan(700);
    await page.context().close();
  });
});

describe('log view parts', () => {
  it('shows what follows the last raw \\r of a stored line', () => {
    expect(visibleText('downloading 10%\rdownloading 55%\rdownloading 100%')).toBe('downloading 100%');
    expect(visibleText('done\r')).toBe('done');
    expect(visibleText('plain')).toBe('plain');
  });

  it('finds Buildkite and GitHub section markers, also coloured', () => {
    expect(sectionMarker('--- :pipeline: Upload')).toEqual({ kind: 'start', title: ':pipeline: Upload' });
    expect(sectionMarker('\u001b[1m+++ Tests\u001b[0m')).toEqual({ kind: 'start', title: 'Tests' });
    expect(sectionMarker('::group::Install')).toEqual({ kind: 'start', title: 'Install' });
    expect(sectionMarker('::endgroup::')).toEqual({ kind: 'end' });
    expect(sectionMarker('a --- b')).toBeUndefined();
  });

  it('turns ANSI escapes into styled runs without the escapes', () => {
    const runs = styledRuns('plain \u001b[31mred\u001b[0m \u001b[38;2;1;2;3mtrue\u001b[0m');
    expect(runs.map((run) => run.text).join('')).toBe('plain red true');
    expect(runs.find((run) => run.text === 'red')?.color).toBeDefined();
    expect(runs.find((run) => run.text === 'true')?.color).toBe('rgb(1, 2, 3)');
  });

  it("measures sections from their lines' times and folds their bodies", () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 30, 10, 0, seconds)).toISOString();
    const messages = ['::group::Build', 'a', 'b', '::endgroup::', 'outside', '--- Test', 'c'];
    const lines = new Map(
      messages.map((message, index) => [index + 1, toLogLine({ seq: index + 1, at: at(index * 10), level: 'INFO', message })]),
    );
    const sections = findSections(lines, 7);
    expect(sections).toEqual([
      { startSeq: 1, endSeq: 4, title: 'Build', durationSeconds: 30 },
      { startSeq: 6, endSeq: 7, title: 'Test', durationSeconds: 10 },
    ]);
    expect([...visibleSeqs(7, sections, new Set([1]))]).toEqual([1, 5, 6, 7]);
    expect([...visibleSeqs(9, sections, new Set([6]))]).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('reads and writes line links', () => {
    expect(parseLogLink('#L140-L120')).toEqual({ range: { from: 120, to: 140 } });
    expect(parseLogLink('#attempt-2/L5')).toEqual({ attempt: 2, range: { from: 5, to: 5 } });
    expect(parseLogLink('#overview')).toEqual({});
    expect(formatLogLink({ attempt: 3, range: { from: 1, to: 9 } }, 3)).toBe('L1-L9');
    expect(formatLogLink({ attempt: 1, range: { from: 4, to: 4 } }, 3)).toBe('attempt-1/L4');
  });
});
