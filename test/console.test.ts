import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialLoads } from '../scripts/consoleBundleSize.ts';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, expectAccessible, openConsole, screenshot, signIn, submitSignIn } from './helpers/console.ts';
import { createTestDatabase } from './helpers/database.ts';
import { createApiKey, submitBuild, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { startServer } from './helpers/server.ts';

// The console's foundation in a real browser against the production build, served by the real
// server: sign-in and its refusals, sign-out, deep links, live updates and their pause, recovery
// after a server restart, keyboard shortcuts, accessibility (axe) and the first load's size.

let browser: Browser;
const { server } = useServer();

beforeAll(async () => {
  // First, so a missing Chromium is said before anything slow runs.
  browser = await launchChromium();
  await ensureConsoleBuilt();
});

afterAll(async () => {
  await browser?.close();
});

/** The count the dashboard shows for a build status. */
const dashboardCount = (page: Page, status: string) =>
  page.getByRole('region', { name: 'Builds by status' }).locator(`[data-status="${status}"]`).textContent();

async function waitForDashboardCount(page: Page, status: string, count: number) {
  await page
    .getByRole('region', { name: 'Builds by status' })
    .locator(`[data-status="${status}"]`)
    .filter({ hasText: new RegExp(`${status}\\s*${count}$`) })
    .waitFor({ timeout: 15_000 });
}

/** The statuses picked in the builds page's Status filter. */
const statusFilter = (page: Page) => page.locator('.mantine-MultiSelect-pill').allTextContents();

const revokeApiKey = (id: string) =>
  graphql(server.graphqlUrl, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id }, server.adminKey);

describe('sign-in', () => {
  it('signing in with the admin key lands on the dashboard', async () => {
    const page = await openConsole(browser, server);
    await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor();
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).toContain('ADMIN');
    await page.context().close();
  });

  it('refuses a wrong key on the form with the reason, and a correct key then signs in', async () => {
    const page = await openConsole(browser, server);
    await submitSignIn(page, 'fak_not-a-key-of-this-server');
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Invalid credentials');
    await screenshot(page, 'sign-in-refused');
    // The form is still there and usable: the right key gets in.
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.context().close();
  });

  it('refuses a WORKER key on the form', async () => {
    const worker = await createApiKey(server, 'WORKER', 'ci-agents');
    const page = await openConsole(browser, server);
    await submitSignIn(page, worker.secret);
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('WORKER key');
    expect(await page.getByLabel('API key').isEditable()).toBe(true);
    await page.context().close();
  });

  it('signing out returns to the form and forgets the key', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, remember: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor();
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor();
    await page.context().close();
  });

  it('a deep link opened signed out comes back after signing in on this device, and survives a reload', async () => {
    const page = await openConsole(browser, server, { path: '/builds?status=PENDING,FAILED&text=hello' });
    await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor();
    await signIn(page, server.adminKey, { remember: true });
    await page.getByRole('heading', { level: 1, name: 'Builds' }).waitFor();
    const search = page.getByRole('searchbox', { name: 'Search builds' });
    expect(await search.inputValue()).toBe('hello');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Builds' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/builds');
    expect(await search.inputValue()).toBe('hello');
    expect(await statusFilter(page)).toEqual(['PENDING', 'FAILED']);
    // Another tab of the same browser is signed in too (the key is kept on this device).
    const tab = await page.context().newPage();
    await tab.goto(new URL('/builds/some-build-id', server.url).href);
    await tab.getByRole('heading', { level: 1, name: 'Build some-bui' }).waitFor();
    await page.context().close();
  });

  it('a key revoked while signed in sends the console back to sign-in with the reason', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER', 'alice');
    const page = await openConsole(browser, server, { key: submitter.secret });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    expectData(await revokeApiKey(submitter.id));
    await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').filter({ hasText: 'You were signed out' }).textContent()).toContain('revoked');
    await page.context().close();
  });
});

describe('the shell', () => {
  it('follows the role: a SUBMITTER may submit but not see keys, a VIEWER sees keys and is read-only', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER', 'bob');
    const page = await openConsole(browser, server, { key: submitter.secret });
    const navigation = page.getByRole('navigation', { name: 'Pages', exact: true });
    await navigation.getByRole('link', { name: 'Submit a build' }).waitFor();
    expect(await navigation.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await page.context().close();

    const viewer = await createApiKey(server, 'VIEWER', 'carol');
    const viewerPage = await openConsole(browser, server, { key: viewer.secret });
    const viewerNavigation = viewerPage.getByRole('navigation', { name: 'Pages', exact: true });
    await viewerNavigation.getByRole('link', { name: 'API keys' }).waitFor();
    expect(await viewerNavigation.getByRole('link', { name: 'Submit a build' }).count()).toBe(0);
    expect(await viewerPage.getByRole('navigation', { name: 'Main' }).textContent()).toContain('VIEWER · read-only');
    await screenshot(viewerPage, 'viewer-dashboard');
    await viewerPage.context().close();
  });

  it('updates the dashboard live, holds updates while paused and catches up on resume', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    const pendingBefore = Number((await dashboardCount(page, 'PENDING'))?.replace(/\D/g, ''));
    await submitBuild(server, server.adminKey, { platform: 'IOS' });
    await waitForDashboardCount(page, 'PENDING', pendingBefore + 1);

    await page.getByRole('switch', { name: 'Live updates' }).uncheck();
    await submitBuild(server, server.adminKey, { platform: 'ANDROID' });
    // The server pushes queue counts within about a second; paused, none arrive.
    await page.waitForTimeout(3_000);
    expect(await dashboardCount(page, 'PENDING')).toMatch(new RegExp(`${pendingBefore + 1}$`));
    await page.getByRole('switch', { name: 'Live updates' }).check();
    await waitForDashboardCount(page, 'PENDING', pendingBefore + 2);
    await page.context().close();
  });

  it('keyboard: g b and g w navigate, / focuses the search field, ? lists the shortcuts', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey });
    await page.keyboard.press('g');
    await page.keyboard.press('b');
    await page.getByRole('heading', { level: 1, name: 'Builds' }).waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search builds');
    await page.keyboard.type('abc');
    await page.waitForURL(/text=abc/);
    await page.locator('body').click({ position: { x: 600, y: 700 } });
    await page.keyboard.press('g');
    await page.keyboard.press('w');
    await page.getByRole('heading', { level: 1, name: 'Workers' }).waitFor();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Go to builds');
    await expectAccessible(page, 'shortcuts-dialog');
    await page.context().close();
  });

  it('works at phone width with a burger menu', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, viewport: { width: 390, height: 844 } });
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await expectAccessible(page, 'phone-dashboard');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await expectAccessible(page, 'phone-navigation');
    await page.getByRole('navigation', { name: 'Pages', exact: true }).getByRole('link', { name: 'Workers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Workers' }).waitFor();
    await expectAccessible(page, 'phone-workers');
    await page.context().close();
  });
});

describe('accessibility (axe: no serious or critical violation)', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`the sign-in form and its refusal, ${colorScheme}`, async () => {
      const page = await openConsole(browser, server, { colorScheme });
      await page.getByRole('heading', { name: 'Sign in to Free Agent' }).waitFor();
      await expectAccessible(page, `sign-in-${colorScheme}`);
      await submitSignIn(page, 'fak_wrong');
      await page.getByRole('alert').waitFor();
      await expectAccessible(page, `sign-in-refused-${colorScheme}`);
      await page.context().close();
    });

    it(`every page of the shell, ${colorScheme}`, async () => {
      const page = await openConsole(browser, server, { key: server.adminKey, colorScheme });
      const pages: [string, string][] = [
        ['/', 'Dashboard'],
        ['/builds', 'Builds'],
        ['/builds/0b6c3c1e-0000-4000-8000-000000000000', 'Build 0b6c3c1e'],
        ['/workers', 'Workers'],
        ['/workers/5d1f0a2b-0000-4000-8000-000000000000', 'Worker 5d1f0a2b'],
        ['/keys', 'API keys'],
        ['/submit', 'Submit a build'],
        ['/no-such-page', 'Page not found'],
      ];
      for (const [path, heading] of pages) {
        // In-app navigation, as a click on a link does: the page and its socket stay.
        await page.evaluate((to) => {
          history.pushState(history.state, '', to);
          dispatchEvent(new PopStateEvent('popstate', { state: history.state }));
        }, path);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
        await expectAccessible(page, `page${path.replace(/\//g, '-').replace(/-$/, '') || '-dashboard'}-${colorScheme}`);
      }
      await page.context().close();
    });
  }
});

it('recovers by itself when the server restarts: reconnecting, then live with fresh data', async () => {
  const database = await createTestDatabase();
  let first = await startServer({ databaseUrl: database.url });
  const port = new URL(first.url).port;
  try {
    const page = await openConsole(browser, first, { key: first.adminKey });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    await first.stop();
    await page.locator('[data-connection="reconnecting"], [data-connection="offline"]').waitFor({ timeout: 15_000 });
    await screenshot(page, 'server-down');
    first = await startServer({
      databaseUrl: database.url,
      dataDir: first.dataDir,
      env: { PORT: port, FREE_AGENT_ADMIN_KEY: first.adminKey },
    });
    await page.locator('[data-connection="live"]').waitFor({ timeout: 30_000 });
    // The subscription came back with the socket: a new build shows without a reload.
    await submitBuild(first, first.adminKey, { platform: 'IOS' });
    await waitForDashboardCount(page, 'PENDING', 1);
    await page.context().close();
  } finally {
    await first.stop();
    await database.drop();
  }
});

it('the first visit to any page loads under 300 KB of gzipped JavaScript', () => {
  const loads = initialLoads(fileURLToPath(new URL('../web/dist', import.meta.url)));
  expect(loads.length).toBeGreaterThanOrEqual(8);
  expect(Math.max(...loads.map((load) => load.gzipBytes)) / 1024).toBeLessThan(300);
});

describe('serving the console', () => {
  it('answers a client-side route with index.html, a missing file with 404 and a malformed path with 400', async () => {
    const deepLink = await fetch(`${server.url}/builds/00000000-0000-0000-0000-000000000000`);
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers.get('content-type')).toContain('text/html');
    // An old hashed chunk after an upgrade: not index.html cached for a year as if it were the script.
    const oldChunk = await fetch(`${server.url}/assets/BuildsPage-0ld0ld00.js`);
    expect(oldChunk.status).toBe(404);
    expect(oldChunk.headers.get('cache-control') ?? '').not.toContain('immutable');
    expect(((await oldChunk.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const malformed = await fetch(`${server.url}/builds/%E0%A4%A`);
    expect(malformed.status).toBe(400);
  });
});
