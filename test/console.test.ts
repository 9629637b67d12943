import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { createApiKey, submitBuild } from './helpers/flows.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const webDir = fileURLToPath(new URL('../web', import.meta.url));

let database: TestDatabase;
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  // First, so a missing Chromium is said before anything slow runs.
  browser = await launchChromium();
  // The server serves the built console; a fresh clone has not built it yet.
  if (!existsSync(`${webDir}/dist/index.html`))
    execFileSync('pnpm', ['--filter', '@free-agent/web', 'build'], { cwd: webDir, stdio: 'ignore' });
  database = await createTestDatabase();
  server = await startServer({ databaseUrl: database.url });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await database?.drop();
});

it('opens the console with an API key and shows the queue and the latest builds', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const build = await submitBuild(server, submitter.secret, { platform: 'IOS' });
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByLabel('API key').fill(submitter.secret);
  await page.getByRole('button', { name: 'Open console' }).click();
  const row = page.getByRole('row').filter({ hasText: build.id.slice(0, 8) });
  await row.waitFor({ timeout: 10_000 });
  expect(await row.textContent()).toContain('PENDING');
  expect(await page.getByRole('region', { name: 'Queue' }).textContent()).toContain('IOS PENDING: 1');
  await page.screenshot({ path: `${webDir}/dist/console.png` });
});
