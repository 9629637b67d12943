import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendBuildLogs,
  buildStatus,
  cancelBuild,
  claim,
  complete,
  createApiKey,
  eventually,
  failBuild,
  heartbeat,
  registerWorker,
  sha256,
  useServer,
} from './helpers/flows.ts';
import { AGENT_BUNDLE } from './helpers/agentBundle.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { freePort } from './helpers/postgresCluster.ts';

// The CLI as users run it: the bundled file, as real processes, against a real server; builds are
// run by driving the worker protocol from the test.
// Rescue passes every second, so a build past its timeoutSeconds fails within the test.
const { server } = useServer({ FREE_AGENT_RESCUE_INTERVAL_SECONDS: '1' });
let tempDir: string;
let submitterKey: string;
let workerKey: string;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tempDir,
    FREE_AGENT_URL: server.url,
    FREE_AGENT_KEY: submitterKey,
    FREE_AGENT_CONFIG: path.join(tempDir, 'none.json'),
    ...extra,
  };
}

/** Runs `node free-agent.mjs …args` to its end. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGENT_BUNDLE, ...args], { env: cliEnv(env), cwd: tempDir }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Starts the CLI in the background; `submitted()` resolves with the build id it prints on stderr. */
function cliInBackground(args: string[]) {
  const child = spawn(process.execPath, [AGENT_BUNDLE, ...args], { env: cliEnv(), cwd: tempDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return {
    done,
    submitted: () => eventually(async () => /submitted ([0-9a-f-]{36})/.exec(stderr)?.[1], 20_000, `the build id on stderr (${stderr})`),
  };
}

async function sourceArchive(): Promise<string> {
  const file = path.join(tempDir, `app-${randomBytes(4).toString('hex')}.tar.gz`);
  const directory = await mkdtemp(path.join(tempDir, 'src-'));
  await writeFile(path.join(directory, 'main.swift'), 'print("hi")\n');
  execFileSync('tar', ['-czf', file, '-C', directory, '.']);
  return file;
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-cli-'));
  submitterKey = (await createApiKey(server, 'SUBMITTER', 'cli')).secret;
  workerKey = (await createApiKey(server, 'WORKER', 'cli worker')).secret;
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('free-agent CLI', () => {
  it('submits a directory packed as .tar.gz without .git, and an archive as it is; --json prints only the build', async () => {
    const directory = path.join(tempDir, 'myapp');
    await mkdir(path.join(directory, '.git'), { recursive: true });
    await mkdir(path.join(directory, 'Sources'), { recursive: true });
    await writeFile(path.join(directory, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(path.join(directory, 'Sources', 'App.swift'), 'print("app")\n');

    const packed = await cli([
      'submit',
      directory,
      '--platform',
      'ios',
      '--meta',
      'appName=Acme',
      '--meta',
      'version=1.2.3',
      '--priority',
      '7',
      '--json',
    ]);
    expect(packed.code, packed.stderr).toBe(0);
    const build = JSON.parse(packed.stdout);
    expect(build).toMatchObject({
      status: 'PENDING',
      platform: 'IOS',
      priority: 7,
      metadata: { appName: 'Acme', version: '1.2.3' },
      url: `${server.url}/builds/${build.id}`,
    });

    // The worker gets the packed directory: the files, without .git.
    const worker = await registerWorker(server, workerKey, { name: 'packer', platforms: ['IOS'] });
    const claimed = (await claim(server, worker.token))!;
    expect(claimed.id).toBe(build.id);
    const archive = path.join(tempDir, 'claimed.tar.gz');
    await writeFile(archive, Buffer.from(await (await fetch(claimed.sourceUrl)).arrayBuffer()));
    const entries = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    expect(entries).toContain('Sources/App.swift');
    expect(entries).not.toContain('.git');
    expectData(await cancelBuild(server, server.adminKey, build.id));

    const file = await sourceArchive();
    const plain = await cli(['submit', file, '--platform', 'android']);
    expect(plain.code, plain.stderr).toBe(0);
    const [id, url] = plain.stdout.trim().split('\n');
    expect(url).toBe(`${server.url}/builds/${id}`);
    expect(await buildStatus(server, id!)).toBe('PENDING');
    expectData(await cancelBuild(server, server.adminKey, id!));
  });

  it('submit --idempotency-key returns the first build again; --label is sent as requiredLabels where the server routes by labels', async () => {
    const file = await sourceArchive();
    const first = await cli(['submit', file, '--platform', 'android', '--idempotency-key', 'ci-run-42', '--json']);
    const second = await cli(['submit', file, '--platform', 'android', '--idempotency-key', 'ci-run-42', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(second.stdout).id).toBe(JSON.parse(first.stdout).id);
    expectData(await cancelBuild(server, server.adminKey, JSON.parse(first.stdout).id));

    const introspection = await graphql<{ __type: { inputFields: { name: string }[] } }>(
      server.graphqlUrl,
      '{ __type(name: "SubmitBuildInput") { inputFields { name } } }',
      {},
      server.adminKey,
    );
    const routesByLabels = expectData(introspection).__type.inputFields.some((field) => field.name === 'requiredLabels');
    const labelled = await cli(['submit', file, '--platform', 'ios', '--label', 'xcode=16.2', '--json']);
    if (routesByLabels) {
      expect(labelled.code, labelled.stderr).toBe(0);
      expectData(await cancelBuild(server, server.adminKey, JSON.parse(labelled.stdout).id));
    } else {
      expect(labelled.code).toBe(2);
      expect(labelled.stderr).toContain('requiredLabels');
      expect(labelled.stdout).toBe('');
    }
  });

  it('submit --wait follows the log, exits 0 on completion and --download saves the exact bytes; logs, view, builds and download read it', async () => {
    const result = randomBytes(50_000);
    const running = cliInBackground([
      'submit',
      await sourceArchive(),
      '--platform',
      'android',
      '--priority',
      '1000',
      '--wait',
      '--download',
      tempDir,
    ]);
    const buildId = await running.submitted();
    const worker = await registerWorker(server, workerKey, { name: 'runner', platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))!.id).toBe(buildId);
    await heartbeat(server, worker.token, buildId, 10);
    expectData(
      await appendBuildLogs(server, worker.token, buildId, 1, [
        { level: 'INFO', message: 'Compiling' },
        { level: 'ERROR', message: 'warning-ish' },
      ]),
    );
    expectData(await appendBuildLogs(server, worker.token, buildId, 3, [{ level: 'INFO', message: 'Signing' }]));
    const resultUpload = await complete(server, worker.token, buildId, result);
    expectData(resultUpload);

    const waited = await running.done;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toBe('Compiling\nwarning-ish\nSigning\n');
    const saved = await readFile(path.join(tempDir, 'result.bin'));
    expect(sha256(saved)).toBe(sha256(result));

    const logs = await cli(['logs', buildId]);
    expect(logs.stdout).toBe('Compiling\nwarning-ish\nSigning\n');
    const jsonLogs = await cli(['logs', `${server.url}/builds/${buildId}`, '--json', '--attempt', '1']);
    expect(
      jsonLogs.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toMatchObject([
      { seq: 1, attempt: 1, level: 'INFO', message: 'Compiling' },
      { seq: 2, level: 'ERROR' },
      { seq: 3, message: 'Signing' },
    ]);

    const view = await cli(['view', `${server.url}/builds/${buildId}?tab=log`]);
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toMatch(/status\s+COMPLETED/);
    expect(view.stdout).toContain('ASSIGNED → BUILDING');
    const viewJson = JSON.parse((await cli(['view', buildId, '--json'])).stdout);
    expect(viewJson).toMatchObject({ id: buildId, status: 'COMPLETED', resultSha256: sha256(result) });

    const builds = await cli(['builds', '--status', 'completed', '--limit', '5', '--json']);
    expect(JSON.parse(builds.stdout).map((build: { id: string }) => build.id)).toContain(buildId);
    const table = await cli(['builds', '--platform', 'android']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+PLATFORM/);
    expect(table.stdout).toContain(buildId);
    expect(table.stdout).not.toContain('\u001b['); // no colours when piped

    const output = path.join(tempDir, 'out.apk');
    const download = await cli(['download', buildId, '-o', output, '--json']);
    expect(download.code, download.stderr).toBe(0);
    expect(JSON.parse(download.stdout)).toEqual({ path: output, size: result.length, sha256: sha256(result) });
    expect(sha256(await readFile(output))).toBe(sha256(result));
  });

  it('submit --wait exits 1 when the build fails, follows a retried attempt, and retry queues it again', async () => {
    const running = cliInBackground(['submit', await sourceArchive(), '--platform', 'android', '--priority', '1000', '--wait', '--json']);
    const buildId = await running.submitted();
    const worker = await registerWorker(server, workerKey, { name: 'failer', platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))!.id).toBe(buildId);
    expectData(await appendBuildLogs(server, worker.token, buildId, 1, [{ level: 'INFO', message: 'first try' }]));
    expectData(await failBuild(server, worker.token, buildId, { message: 'flaky', retryable: true }));
    expect((await claim(server, worker.token))!.attempt).toBe(2);
    // `logs --follow` starts at the latest attempt, as `logs` reads it.
    const following = cliInBackground(['logs', buildId, '--follow']);
    expectData(await appendBuildLogs(server, worker.token, buildId, 1, [{ level: 'ERROR', message: 'second try' }]));
    expectData(await failBuild(server, worker.token, buildId, { message: 'compile error' }));

    const waited = await running.done;
    expect(waited.code, waited.stderr).toBe(1);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id: buildId, status: 'FAILED', outcome: 'failed', errorMessage: 'compile error' });
    expect(waited.stderr).toMatch(/first try\n--- attempt 2 ---\nsecond try\n/);
    const followed = await following.done;
    expect(followed).toEqual({ code: 0, stdout: 'second try\n', stderr: '' });
    expect((await cli(['logs', buildId, '--attempt', '1'])).stdout).toBe('first try\n');
    expect((await cli(['logs', buildId])).stdout).toBe('second try\n');

    const retried = await cli(['retry', buildId, '--json']);
    expect(retried.code, retried.stderr).toBe(0);
    const retry = JSON.parse(retried.stdout);
    expect(retry).toMatchObject({ status: 'PENDING', url: `${server.url}/builds/${retry.id}` });
    const cancelled = await cli(['cancel', retry.id, '--reason', 'not needed', '--json']);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: retry.id, status: 'CANCELLED' });
    expect(JSON.parse(cancelled.stdout).events.at(-1).reason).toBe('not needed');
    const again = await cli(['cancel', retry.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: .* \(CONFLICT\)\n$/);
  });

  it('submit --wait exits 4 when the build is cancelled', async () => {
    const running = cliInBackground(['submit', await sourceArchive(), '--platform', 'ios', '--wait']);
    const buildId = await running.submitted();
    const following = cliInBackground(['logs', buildId, '--follow', '--json']);
    const cancelled = await cli(['cancel', buildId]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const waited = await running.done;
    expect(waited.code, waited.stderr).toBe(4);
    expect(waited.stderr).toContain(`build ${buildId} CANCELLED`);
    // `logs --follow` ends when the build does; a build never claimed has no lines.
    expect(await following.done).toMatchObject({ code: 0, stdout: '' });
  });

  it('submit --wait exits 5 when the build runs past its --timeout', async () => {
    const running = cliInBackground([
      'submit',
      await sourceArchive(),
      '--platform',
      'ios',
      '--priority',
      '1000',
      '--timeout',
      '1',
      '--wait',
      '--json',
    ]);
    const buildId = await running.submitted();
    const worker = await registerWorker(server, workerKey, { name: 'slow', platforms: ['IOS'] });
    expect((await claim(server, worker.token))!.id).toBe(buildId);
    expectData(await heartbeat(server, worker.token, buildId));
    const waited = await running.done;
    expect(waited.code, waited.stderr).toBe(5);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id: buildId, status: 'FAILED', outcome: 'timed out', timeoutSeconds: 1 });
    expect((await cli(['view', buildId])).stdout).toMatch(/status\s+FAILED \(timed out\)/);
  });

  it('workers lists workers; drain and revoke take an id or a unique name (admin)', async () => {
    const { workerId } = await registerWorker(server, workerKey, { name: 'mac-drain', platforms: ['IOS'] });
    const admin = { FREE_AGENT_KEY: server.adminKey };
    const list = await cli(['workers', '--json'], admin);
    expect(JSON.parse(list.stdout).map((worker: { id: string }) => worker.id)).toContain(workerId);
    expect((await cli(['workers'], admin)).stdout).toMatch(/mac-drain\s+IDLE/);
    const drained = await cli(['drain', 'mac-drain', '--json'], admin);
    expect(drained.code, drained.stderr).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ id: workerId, status: 'DRAINING' });
    const revoked = await cli(['revoke', workerId, '--json'], admin);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: workerId, status: 'OFFLINE' });
    expect(JSON.parse(revoked.stdout).revokedAt).not.toBeNull();
    const forbidden = await cli(['drain', workerId]);
    expect(forbidden.code).toBe(6);
    expect(forbidden.stderr).toMatch(/\(FORBIDDEN\)/);
  });

  it('bad usage exits 2 with a helpful message, an unreachable server 3, a bad key 6', async () => {
    const badPlatform = await cli(['submit', tempDir, '--platform', 'windows']);
    expect(badPlatform.code).toBe(2);
    expect(badPlatform.stderr).toContain('must be one of ios, android');
    const notAnArchive = path.join(tempDir, 'notes.txt');
    await writeFile(notAnArchive, 'x');
    expect((await cli(['submit', notAnArchive, '--platform', 'ios'])).stderr).toContain('is not a .tar.gz, .tgz or .zip archive');
    const badReference = await cli(['view', 'http://example.com/nothing']);
    expect(badReference.code).toBe(2);
    expect(badReference.stderr).toContain('is not a build id or a console URL');
    expect((await cli(['builds', '--limit', '0'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const noServer = await cli(['builds'], { FREE_AGENT_URL: '' });
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('No server');
    const missing = await cli(['view', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('(NOT_FOUND)');

    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');

    const closedPort = await freePort();
    const unreachable = await cli(['builds', '--server', `http://127.0.0.1:${closedPort}`, '--json']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/^error: Cannot reach/);
    const badKey = await cli(['builds', '--key', 'fak_wrong']);
    expect(badKey.code).toBe(6);
    expect(badKey.stderr).toContain('(UNAUTHENTICATED)');
  });
});
