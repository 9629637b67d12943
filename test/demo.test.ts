import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { freePort, makeTempDir } from './helpers/postgresCluster.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const buildScript = path.join(root, 'examples', 'build.mjs');
const exampleApp = path.join(root, 'examples', 'hello-app');

const madeDirs: string[] = [];
afterEach(async () => {
  await Promise.all(madeDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A work directory as the agent makes one: the example's source unpacked under source/. */
async function workDirWithSource() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-demo-'));
  madeDirs.push(workDir);
  const sourceDir = path.join(workDir, 'source');
  await cp(exampleApp, sourceDir, { recursive: true });
  return { workDir, sourceDir, resultPath: path.join(workDir, 'result', 'hello-app.tar.gz') };
}

/** Runs examples/build.mjs with the agent's environment; resolves with its exit code and output. */
function runBuildScript(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [buildScript], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), HELLO_APP_STAGE_PAUSE_MS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('examples/build.mjs, run as the agent runs a build command', () => {
  it('compiles and tests the example app and packs the bundle as a .tar.gz at FREE_AGENT_RESULT', async () => {
    const { workDir, sourceDir, resultPath } = await workDirWithSource();
    const { code, output } = await runBuildScript({
      FREE_AGENT_BUILD_ID: 'build-42',
      FREE_AGENT_PLATFORM: 'IOS',
      FREE_AGENT_ATTEMPT: '1',
      FREE_AGENT_SOURCE_DIR: sourceDir,
      FREE_AGENT_RESULT: resultPath,
      FREE_AGENT_META_VERSION: '2.3.4',
    });
    expect(code, output).toBe(0);
    // Staged output as the agent's log pipeline understands it.
    expect(output).toContain('::progress 100');
    expect(output).toMatch(/^--- .*Compiling/m);
    expect(output).toMatch(/^::group::/m);
    expect(output).toContain('\x1b[');

    const unpacked = path.join(workDir, 'unpacked');
    const listing = spawnSync('tar', ['-tzf', resultPath], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout.split('\n').map((entry) => entry.replace(/^\.\//, ''))).toEqual(
      expect.arrayContaining(['hello-app.js', 'build-info.json']),
    );
    await mkdir(unpacked);
    expect(spawnSync('tar', ['-xzf', resultPath, '-C', unpacked]).status).toBe(0);
    expect(JSON.parse(await readFile(path.join(unpacked, 'build-info.json'), 'utf8'))).toMatchObject({
      version: '2.3.4',
      platform: 'ios',
      buildId: 'build-42',
    });

    // The artifact is the compiled app: it runs with plain node and says what it was built as.
    const app = spawnSync(process.execPath, [path.join(unpacked, 'hello-app.js'), 'Ada', 'fr'], { encoding: 'utf8' });
    expect(app.status, app.stderr).toBe(0);
    expect(app.stdout).toBe('Bonjour, Ada !\nhello-app 2.3.4 (ios, build build-42)\n');
  });

  it('fails with exit code 65 and writes no artifact when the build is flagged fail=1', async () => {
    const { workDir, sourceDir, resultPath } = await workDirWithSource();
    const { code, output } = await runBuildScript({
      FREE_AGENT_BUILD_ID: 'build-43',
      FREE_AGENT_PLATFORM: 'ANDROID',
      FREE_AGENT_ATTEMPT: '1',
      FREE_AGENT_SOURCE_DIR: sourceDir,
      FREE_AGENT_RESULT: resultPath,
      FREE_AGENT_META_fail: '1',
    });
    expect(code).toBe(65);
    expect(output).toContain('no signing identity for android');
    expect(await readdir(workDir)).not.toContain('result');
  });

  it('exits 2 naming the missing input when run outside the agent', async () => {
    const { code, output } = await runBuildScript({ FREE_AGENT_PLATFORM: 'IOS' });
    expect(code).toBe(2);
    expect(output).toContain('FREE_AGENT_SOURCE_DIR is not set');
  });
});

describe('pnpm demo', () => {
  it('starts the server and three agents, and every submitted build of the example app ends as flagged', async () => {
    const database = await createTestDatabase();
    const dataDir = await makeTempDir('free-agent-test-demo-');
    try {
      const port = await freePort();
      const demo = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'scripts', 'demo.ts'),
          '--port',
          String(port),
          '--interval',
          '0.5',
          '--builds',
          '4',
          '--exit-when-done',
          '--skip-agent-build',
        ],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: dataDir,
            DATABASE_URL: database.url,
            FREE_AGENT_DATA_DIR: dataDir,
            NO_COLOR: '1',
            HELLO_APP_STAGE_PAUSE_MS: '100',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let output = '';
      demo.stdout.on('data', (chunk) => (output += chunk));
      demo.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
      const timer = setTimeout(() => process.kill(-demo.pid!, 'SIGKILL'), 150_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code, output).toBe(0);
      expect(output).toContain('4 builds submitted, 0 ended otherwise than expected');
      // Build 4 is flagged: it failed, and the rest completed, on the agents serving their platforms.
      expect(output).toMatch(/as expected: #4 android 1\.0\.4 \(flagged fail=1\) ended FAILED/);
      expect(output.match(/ended COMPLETED/g)).toHaveLength(3);
      for (const agent of ['ios', 'android', 'both']) expect(output).toMatch(new RegExp(`agent ${agent} *│ .*exited \\(stopped\\)`));
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
