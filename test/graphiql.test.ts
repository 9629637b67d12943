import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from './helpers/browser.ts';
import { useServer } from './helpers/flows.ts';

const screenshotPath = fileURLToPath(new URL('../web/dist/graphiql.png', import.meta.url));

let browser: Browser;

// Before the server's hook, so a missing Chromium is said before anything slow runs.
beforeAll(async () => {
  browser = await launchChromium();
});

const { server } = useServer();

afterAll(async () => {
  await browser?.close();
});

it('GraphiQL works offline: its page loads nothing from another host, and the default query runs with the key in the Headers tab', async () => {
  const page = await browser.newPage();
  // As on a machine without internet: every request to another origin fails (and is recorded).
  const offHost: string[] = [];
  const origin = new URL(server.url).origin;
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    offHost.push(url.href);
    return route.abort('internetdisconnected');
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(server.graphqlUrl);
  const run = page.getByRole('button', { name: /Execute query/ });
  await run.waitFor({ timeout: 30_000 });

  // The Headers tab opens with the template the README shows; the user puts the key in it.
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last();
  await headersEditor.waitFor();
  // Monaco lays spaces out as no-break spaces.
  const headersText = async () => (await headersEditor.innerText()).replaceAll('\u00a0', ' ');
  await expect.poll(headersText).toContain('{"Authorization": "Bearer <your key>"}');
  // As a user does: select `<your key>` (the 10 characters before the closing `"}`) and paste the key.
  await headersEditor.click();
  await page.keyboard.press('ControlOrMeta+End');
  for (let step = 0; step < 2; step++) await page.keyboard.press('ArrowLeft');
  for (let step = 0; step < '<your key>'.length; step++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.insertText(server.adminKey);
  await expect.poll(headersText).toContain(`{"Authorization": "Bearer ${server.adminKey}"}`);

  await run.click();
  const response = page.locator('.graphiql-response');
  await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain('"queueStats"');
  const answer = await response.innerText();
  expect(answer).toContain('"builds"');
  expect(answer).not.toContain('"errors"');
  await page.screenshot({ path: screenshotPath });

  expect(offHost).toEqual([]);
  expect(pageErrors).toEqual([]);
  await page.close();
});

it('a missing Chromium is one message that names the fix', () => {
  expect(() => chromiumPath({ CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow(
    'Chromium not found at /nonexistent/chromium: install it with `apt-get install chromium` (Debian/Ubuntu) or set CHROMIUM_PATH',
  );
});
