import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from './helpers/agent.ts';
import { launchChromium } from './helpers/browser.ts';
import { confirmAction, ensureConsoleBuilt, expectAccessible, openConsole } from './helpers/console.ts';
import { buildStatus, createApiKey, eventually, readWorker, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';

// The console's workers, worker, API keys and submit pages in a real browser against the
// production build and the real server, with a real agent (the bundle) as the worker: drain and
// resume it, revoke a worker, a worker's diagnostics and builds, create / copy / revoke a key,
// submit a build with an archive from disk, and what a VIEWER key sees (no action anywhere).

let browser: Browser;
const { server } = useServer();
let tempDir: string;
let agent: AgentProcess;
let agentWorkerId: string;
let viewerKey: string;

const UUID = '[0-9a-f-]{36}';
/** Copies the source's random file to the result: a build that completes. */
const COMMAND = 'cp random.bin "$FREE_AGENT_RESULT"';

/** A .tar.gz holding `random.bin`, written under tempDir; returns its path. */
async function sourceArchive(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(tempDir, 'src-'));
  await writeFile(path.join(dir, 'random.bin'), randomBytes(4000));
  const archive = path.join(tempDir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', dir, '.']);
  return archive;
}

/** The workers table's row of a worker. */
const workerRow = (page: Page, workerId: string) => page.locator(`tr[data-worker-id="${workerId}"]`);

/** Waits until the worker's row shows `status` in its Status column. */
const waitForRowStatus = (page: Page, workerId: string, status: string) =>
  workerRow(page, workerId).locator('[data-column="status"]', { hasText: status }).waitFor({ timeout: 15_000 });

const workerStatus = async (workerId: string): Promise<{ status: string; revokedAt: string | null }> =>
  expectData(await readWorker(server, server.adminKey, workerId, 'status revokedAt')).worker;

beforeAll(async () => {
  browser = await launchChromium();
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'console-workers-'));
  viewerKey = (await createApiKey(server, 'VIEWER', 'watcher')).secret;
  const workerKey = (await createApiKey(server, 'WORKER', 'console agents')).secret;
  await ensureConsoleBuilt();
  agent = await startAgent({
    serverUrl: server.url,
    key: workerKey,
    command: COMMAND,
    name: 'console-agent',
    args: ['--platforms', 'android', '--poll-interval', '1', '--cancel-grace-seconds', '1', '--shutdown-grace-seconds', '2'],
  });
  agentWorkerId = (await agent.waitForLine(new RegExp(`registered as worker (${UUID})`)))[1]!;
  await agent.waitForLine(/connected to /);
  // Its first diagnostics report is sent just after registering.
  await eventually(async () => {
    const { worker } = expectData(await readWorker(server, server.adminKey, agentWorkerId, 'diagnostics { id }'));
    return worker.diagnostics.length > 0 ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await browser?.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

describe('workers', () => {
  it('the workers table shows the agent live; drain and resume it with confirmation, and the agent obeys', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/workers' });
    await page.getByRole('heading', { level: 1, name: 'Workers' }).waitFor();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
    const row = workerRow(page, agentWorkerId);
    await row.waitFor({ timeout: 15_000 });
    await waitForRowStatus(page, agentWorkerId, 'IDLE');
    const text = await row.textContent();
    expect(text).toContain('console-agent');
    expect(text).toContain('ANDROID');
    expect(text).toMatch(/OK|WARN|FAIL/);
    expect(text).toContain('0 / 0');

    // A worker registering while the page is open appears without a reload.
    const workerKey = (await createApiKey(server, 'WORKER', 'late worker')).secret;
    const late = await registerWorker(server, workerKey, { name: 'late-mac', platforms: ['IOS'], labels: ['xcode=16.2'] });
    await workerRow(page, late.workerId).waitFor({ timeout: 15_000 });
    expect(await workerRow(page, late.workerId).textContent()).toContain('xcode=16.2');
    await expectAccessible(page, 'console-workers');

    await confirmAction(page, row, 'Drain');
    await waitForRowStatus(page, agentWorkerId, 'DRAINING');
    await agent.waitForLine(/draining: taking no new builds/);
    expect((await workerStatus(agentWorkerId)).status).toBe('DRAINING');

    await confirmAction(page, row, 'Resume');
    await waitForRowStatus(page, agentWorkerId, 'IDLE');
    await agent.waitForLine(/resumed: taking builds again/);
    expect((await workerStatus(agentWorkerId)).status).toBe('IDLE');
    await page.context().close();
  });

  it('revoking a worker asks first, then shuts it out', async () => {
    const workerKey = (await createApiKey(server, 'WORKER', 'doomed worker')).secret;
    const doomed = await registerWorker(server, workerKey, { name: 'doomed-mac', platforms: ['IOS'] });
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/workers' });
    const row = workerRow(page, doomed.workerId);
    await row.waitFor({ timeout: 15_000 });
    // "Keep it" leaves the worker alone.
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
    expect((await workerStatus(doomed.workerId)).revokedAt).toBeNull();

    await confirmAction(page, row, 'Revoke');
    await waitForRowStatus(page, doomed.workerId, 'REVOKED');
    expect((await workerStatus(doomed.workerId)).revokedAt).not.toBeNull();
    expect(await row.getByRole('button').count()).toBe(0);
    await page.context().close();
  });

  it('the worker page shows its diagnostics report check by check, its system facts and the builds it ran', async () => {
    const submitter = (await createApiKey(server, 'SUBMITTER', 'worker page builds')).secret;
    const build = await submitBuild(server, submitter, {
      platform: 'ANDROID',
      source: await readFile(await sourceArchive('for-worker-page')),
      metadata: { appName: 'Pager', version: '2.0' },
    });
    await eventually(
      async () => ((await buildStatus(server, build.id)) === 'COMPLETED' ? true : undefined),
      30_000,
      'the build to complete',
    );

    const page = await openConsole(browser, server, { key: server.adminKey, path: `/workers/${agentWorkerId}` });
    await page.getByRole('heading', { level: 1, name: 'console-agent' }).waitFor();
    const diagnostics = page.getByRole('region', { name: 'Diagnostics' });
    const checks = diagnostics.getByRole('table', { name: 'Diagnostic checks' });
    await checks.waitFor();
    // The agent always checks its disk and memory; each row has an outcome and a message.
    for (const name of ['disk-space', 'memory']) {
      const check = checks.locator(`tr[data-check="${name}"]`);
      expect(await check.textContent()).toMatch(new RegExp(`${name}(OK|WARN|FAIL).+`));
    }
    const system = await diagnostics.getByRole('table', { name: 'System' }).textContent();
    expect(system).toContain('agentVersion');
    expect(system).toContain('memoryBytes');

    const builds = page.getByRole('table', { name: 'Recent builds' });
    const buildRow = builds.locator(`tr[data-build-id="${build.id}"]`);
    await buildRow.waitFor({ timeout: 15_000 });
    expect(await buildRow.textContent()).toMatch(/COMPLETED.*ANDROID.*Pager 2\.0/);
    await expectAccessible(page, 'console-worker');

    await buildRow.getByRole('link').click();
    await page.waitForURL(`**/builds/${build.id}`);
    await page.context().close();
  });
  it('a worker id that does not exist says so instead of loading for ever', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/workers/00000000-0000-4000-8000-000000000000' });
    await page.getByText('No such worker').waitFor({ timeout: 15_000 });
    await page.context().close();
  });
});

describe('API keys', () => {
  it('creates a key, shows its secret once with a copy button, and revokes it with confirmation', async () => {
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/keys' });
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('table', { name: 'Keys' }).waitFor();
    await page.getByRole('textbox', { name: /^Name/ }).fill('dashboard screen');
    await page.getByRole('combobox', { name: /^Role/ }).click();
    await page.getByRole('option', { name: /^VIEWER/ }).click();
    await page.getByRole('button', { name: 'Create key' }).click();

    const secretBox = page.locator('[data-secret]');
    await secretBox.waitFor();
    const secret = (await secretBox.textContent())!.trim();
    expect(secret.length).toBeGreaterThan(20);
    await expectAccessible(page, 'console-keys-secret');
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    // The secret works, with the role chosen.
    const me = expectData(await graphql<{ me: { role: string } }>(server.graphqlUrl, '{ me { role } }', {}, secret));
    expect(me.me.role).toBe('VIEWER');

    await page.getByRole('button', { name: 'I stored it, done' }).click();
    expect(await page.locator('[data-secret]').count()).toBe(0);
    const row = page.locator('tr', { hasText: 'dashboard screen' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('VIEWER');
    await expectAccessible(page, 'console-keys');

    await confirmAction(page, row, 'Revoke');
    await page.locator('tr[data-revoked="true"]', { hasText: 'dashboard screen' }).waitFor();
    const refused = await graphql(server.graphqlUrl, '{ me { role } }', {}, secret);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await page.context().close();
  });
});

describe('submit', () => {
  it('submits an archive with platform, priority, labels and metadata, and lands on the new build', async () => {
    const archive = await sourceArchive('console-submit');
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/submit' });
    await page.getByRole('heading', { level: 1, name: 'Submit a build' }).waitFor();
    await page.locator('input[type="file"]').first().setInputFiles(archive);
    await page.getByRole('combobox', { name: /^Platform/ }).click();
    await page.getByRole('option', { name: 'ANDROID' }).click();
    await page.getByLabel('Priority').fill('7');
    const labels = page.getByRole('combobox', { name: 'Required labels' });
    // A label nobody offers keeps the build pending, so the agent leaves it alone.
    await labels.fill('tier=nobody');
    await labels.press('Enter');
    await page.getByLabel('Metadata value 1').fill('Submitted');
    await page.getByLabel('Metadata value 2').fill('3.1.4');
    await expectAccessible(page, 'console-submit');

    await page.getByRole('button', { name: 'Submit build' }).click();
    await page.waitForURL(new RegExp(`/builds/${UUID}$`), { timeout: 30_000 });
    const buildId = new URL(page.url()).pathname.split('/').pop()!;
    const { build } = expectData(
      await graphql<{
        build: { status: string; platform: string; priority: number; requiredLabels: string[]; metadata: unknown; sourceSize: number };
      }>(
        server.graphqlUrl,
        'query ($id: ID!) { build(id: $id) { status platform priority requiredLabels metadata sourceSize } }',
        { id: buildId },
        server.adminKey,
      ),
    );
    expect(build).toMatchObject({
      status: 'PENDING',
      platform: 'ANDROID',
      priority: 7,
      requiredLabels: ['tier=nobody'],
      metadata: { appName: 'Submitted', version: '3.1.4' },
      sourceSize: (await stat(archive)).size,
    });
    await page.context().close();
  });
});

describe('a VIEWER key', () => {
  it('sees workers, a worker, the keys and the submit page without any action (phone width, dark)', async () => {
    const page = await openConsole(browser, server, {
      key: viewerKey,
      path: '/workers',
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await workerRow(page, agentWorkerId).waitFor({ timeout: 15_000 });
    const main = page.locator('main');
    expect(await main.getByRole('button', { name: /Drain|Resume|Revoke/ }).count()).toBe(0);
    await expectAccessible(page, 'console-workers-viewer-phone-dark');

    await workerRow(page, agentWorkerId).getByRole('link', { name: 'console-agent' }).click();
    await page.getByRole('heading', { level: 1, name: 'console-agent' }).waitFor();
    await page.getByRole('table', { name: 'Diagnostic checks' }).waitFor();
    expect(await main.getByRole('button', { name: /Drain|Resume|Revoke/ }).count()).toBe(0);
    await expectAccessible(page, 'console-worker-viewer-phone-dark');

    await page.goto(new URL('/keys', server.url).href);
    await page.getByRole('table', { name: 'Keys' }).waitFor();
    expect(await page.locator('tr', { hasText: 'watcher' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await main.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    await expectAccessible(page, 'console-keys-viewer-phone-dark');

    await page.goto(new URL('/submit', server.url).href);
    await page.getByText('This key may not submit builds').waitFor();
    expect(await page.locator('input[type="file"]').count()).toBe(0);
    await expectAccessible(page, 'console-submit-viewer-phone-dark');
    await page.context().close();
  });
});
