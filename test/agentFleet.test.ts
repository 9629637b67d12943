import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from './helpers/agent.ts';
import { AGENT_BUNDLE } from './helpers/agentBundle.ts';
import {
  buildStatus,
  cancelBuild,
  createApiKey,
  eventually,
  readBuild,
  readWorker,
  revokeWorker,
  sha256,
  storedLog,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';

// A fleet of bundled agents (`free-agent worker`) and bundled CLIs (`free-agent submit`) against a
// real server: routing by platform and label, --once and --idle-timeout, secrets, identity across
// restarts, the health endpoint, and the admin's drain and revoke.
const { server } = useServer({ FREE_AGENT_RESCUE_INTERVAL_SECONDS: '1' });
let tempDir: string;
/** Gate files and pid files of the gated build command (GATED_COMMAND). */
let gateDir: string;
let submitterKey: string;
let workerKey: string;

/** Copies the source's random file to the result, or exits 3 when the build's metadata says fail=1. */
const COMMAND =
  'if [ "$FREE_AGENT_META_FAIL" = 1 ]; then echo "build $FREE_AGENT_BUILD_ID fails on purpose"; exit 3; fi; cp random.bin "$FREE_AGENT_RESULT"';

/**
 * Writes its shell's pid (the process group's id) to $GATE_DIR/<build id>.pid, then waits (at most
 * 60 s, so nothing outlives a broken test) until the test creates $GATE_DIR/<build id>.
 */
const GATED_COMMAND = [
  'echo $$ > "$GATE_DIR/$FREE_AGENT_BUILD_ID.pid"',
  'i=0',
  'while [ ! -f "$GATE_DIR/$FREE_AGENT_BUILD_ID" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done',
  COMMAND,
].join('; ');

/** Flags every agent here gets: quick fallback claims, quick stops of builds (a failing test must not wait for them). */
const QUICK = ['--poll-interval', '1', '--cancel-grace-seconds', '1', '--shutdown-grace-seconds', '2'];

const UUID = '[0-9a-f-]{36}';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node free-agent.mjs …args` as the submitter, to its end (killed after 150 s). */
function cli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AGENT_BUNDLE, ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: tempDir,
          FREE_AGENT_URL: server.url,
          FREE_AGENT_KEY: submitterKey,
          FREE_AGENT_CONFIG: path.join(tempDir, 'no-config.json'),
        },
        cwd: tempDir,
        timeout: 150_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** A source directory holding `random.bin` (random bytes); returns it and the file's sha256. */
async function sourceDirectory(): Promise<{ dir: string; sha256: string }> {
  const dir = await mkdtemp(path.join(tempDir, 'src-'));
  const bytes = randomBytes(1000 + Math.floor(Math.random() * 20_000));
  await writeFile(path.join(dir, 'random.bin'), bytes);
  return { dir, sha256: sha256(bytes) };
}

/** The same source as a .tar.gz, for builds submitted through GraphQL. */
async function sourceArchive(): Promise<Buffer> {
  const { dir } = await sourceDirectory();
  execFileSync('tar', ['-czf', `${dir}.tar.gz`, '-C', dir, '.']);
  return readFile(`${dir}.tar.gz`);
}

/** Submits an ANDROID build through GraphQL with a real source archive; returns its id. */
async function submitAndroid(extra: Record<string, unknown> = {}): Promise<string> {
  return (await submitBuild(server, submitterKey, { platform: 'ANDROID', source: await sourceArchive(), ...extra })).id;
}

/** Starts an agent and waits until it registered and its socket is up; returns it and its worker id. */
async function readyAgent(options: {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  workDir?: string;
  name?: string;
}): Promise<{ agent: AgentProcess; workerId: string }> {
  const agent = await startAgent({
    serverUrl: server.url,
    key: workerKey,
    command: options.command ?? COMMAND,
    args: [...QUICK, ...(options.args ?? [])],
    env: { GATE_DIR: gateDir, ...options.env },
    workDir: options.workDir,
    name: options.name,
  });
  const workerId = (await agent.waitForLine(new RegExp(`registered as worker (${UUID})`)))[1]!;
  await agent.waitForLine(/connected to /);
  return { agent, workerId };
}

/** Stops the agent (SIGTERM) and asserts it exited 0. */
async function stopCleanly(agent: AgentProcess): Promise<void> {
  await agent.stop();
  expect((await agent.exited).code, agent.lines().join('\n')).toBe(0);
}

/** The build ids an agent printed `claimed build <id>` for. */
const claimedBy = (agent: AgentProcess) => agent.lines().flatMap((line) => new RegExp(`claimed build (${UUID})`).exec(line)?.[1] ?? []);

/** Lets a gated build go on to its end. */
const openGate = (buildId: string) => writeFile(path.join(gateDir, buildId), '');

/** The pid its gated command wrote, once it has. */
const gatedPid = (buildId: string) =>
  eventually(
    async () => {
      const text = await readFile(path.join(gateDir, `${buildId}.pid`), 'utf8').catch(() => '');
      return /^\d+\n$/.test(text) ? Number(text) : undefined;
    },
    15_000,
    `the pid file of build ${buildId}`,
  );

/** Processes of group `pgid` that have not exited (zombies waiting to be reaped do not count). POSIX ps: Linux and macOS. */
function liveGroupMembers(pgid: number): number[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, state]) => pid && Number(group) === pgid && !state?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

async function healthOf(
  url: string,
): Promise<{ code: number; body: { status: string; connected: boolean; workerId: string; builds: string[] } }> {
  const response = await fetch(url);
  return { code: response.status, body: await response.json() };
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-fleet-'));
  gateDir = path.join(tempDir, 'gates');
  await mkdir(gateDir);
  submitterKey = (await createApiKey(server, 'SUBMITTER', 'fleet submitter')).secret;
  workerKey = (await createApiKey(server, 'WORKER', 'fleet workers')).secret;
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('a fleet of agents and CLIs', () => {
  it('twenty builds submitted with submit --wait --json --download run on agents of their platform; results arrive intact, failures quote the log', async () => {
    const iosOnly = await readyAgent({ name: 'ios-only', args: ['--platforms', 'ios'] });
    const androidOnly = await readyAgent({ name: 'android-only', args: ['--platforms', 'android'] });
    const both = await readyAgent({ name: 'both', args: ['--platforms', 'ios,android', '--concurrency', '2'] });
    const platformsOf: Record<string, string[]> = {
      [iosOnly.workerId]: ['IOS'],
      [androidOnly.workerId]: ['ANDROID'],
      [both.workerId]: ['IOS', 'ANDROID'],
    };

    const submissions = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const source = await sourceDirectory();
        const platform = index < 10 ? 'IOS' : 'ANDROID';
        const fails = index % 4 === 3;
        const download = path.join(tempDir, `result-${index}.bin`);
        const args = ['submit', source.dir, '--platform', platform.toLowerCase(), '--wait', '--json', '--download', download];
        if (fails) args.push('--meta', 'fail=1');
        return { platform, fails, download, source, run: await cli(args) };
      }),
    );

    const buildIds: string[] = [];
    for (const { platform, fails, download, source, run } of submissions) {
      const build = JSON.parse(run.stdout) as {
        id: string;
        platform: string;
        status: string;
        errorMessage: string | null;
        worker: { id: string } | null;
      };
      buildIds.push(build.id);
      expect(build.platform).toBe(platform);
      expect(platformsOf[build.worker!.id], `build ${build.id} ran on an unknown worker`).toContain(platform);
      if (fails) {
        expect(run.code, run.stderr).toBe(1);
        expect(build.status).toBe('FAILED');
        expect(build.errorMessage).toMatch(/^The build command exited with code 3\n\nLast lines of the log:\n/);
        expect(build.errorMessage).toContain(`build ${build.id} fails on purpose`);
        await expect(stat(download)).rejects.toThrow(/ENOENT/);
      } else {
        expect(run.code, run.stderr).toBe(0);
        expect(build.status).toBe('COMPLETED');
        expect(sha256(await readFile(download))).toBe(source.sha256);
      }
    }

    // Each build was claimed once, by the worker the server names, and never by an agent without its platform.
    const claims = [iosOnly, androidOnly, both].flatMap(({ agent, workerId }) => claimedBy(agent).map((id) => ({ id, workerId })));
    expect(claims.map(({ id }) => id).sort()).toEqual([...buildIds].sort());
    for (const { id, workerId } of claims) {
      const { worker } = JSON.parse(submissions[buildIds.indexOf(id)]!.run.stdout) as { worker: { id: string } };
      expect(worker.id).toBe(workerId);
    }
    const androidOnIos = claimedBy(iosOnly.agent).filter((id) => submissions[buildIds.indexOf(id)]!.platform === 'ANDROID');
    expect(androidOnIos).toEqual([]);
    const iosOnAndroid = claimedBy(androidOnly.agent).filter((id) => submissions[buildIds.indexOf(id)]!.platform === 'IOS');
    expect(iosOnAndroid).toEqual([]);

    await Promise.all([iosOnly, androidOnly, both].map(({ agent }) => stopCleanly(agent)));
  }, 180_000);

  it('labels route builds: --label queue=release runs only on the agent offering it; a label nobody offers leaves the build waiting', async () => {
    const release = await readyAgent({ name: 'release', args: ['--platforms', 'android', '--labels', 'queue=release'] });
    const plain = await readyAgent({ name: 'plain', args: ['--platforms', 'android'] });

    const submit = async (label?: string) => {
      const source = await sourceDirectory();
      const run = await cli(['submit', source.dir, '--platform', 'android', '--wait', '--json', ...(label ? ['--label', label] : [])]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as { id: string; status: string; worker: { id: string } };
    };
    const [labelled, unlabelled] = await Promise.all([
      Promise.all([1, 2, 3, 4].map(() => submit('queue=release'))),
      Promise.all([1, 2].map(() => submit())),
    ]);
    for (const build of labelled) {
      expect(build.status).toBe('COMPLETED');
      expect(build.worker.id).toBe(release.workerId);
    }
    for (const build of unlabelled) {
      expect(build.status).toBe('COMPLETED');
      expect([release.workerId, plain.workerId]).toContain(build.worker.id);
    }

    // A build submitted after it, which any agent may take, runs; the unroutable one, though older, waits.
    const unroutable = await submitAndroid({ requiredLabels: ['queue=nightly'] });
    const later = await submit();
    expect(later.status).toBe('COMPLETED');
    const waiting = expectData(
      await readBuild(server, submitterKey, unroutable, 'status eligibleWorkers unofferedLabels worker { id }'),
    ).build;
    expect(waiting).toEqual({ status: 'PENDING', eligibleWorkers: 0, unofferedLabels: ['queue=nightly'], worker: null });
    expect([...claimedBy(release.agent), ...claimedBy(plain.agent)]).not.toContain(unroutable);

    expectData(await cancelBuild(server, server.adminKey, unroutable));
    await Promise.all([stopCleanly(release.agent), stopCleanly(plain.agent)]);
  }, 120_000);

  it('--once takes exactly one of two pending builds, runs it and exits 0; the other waits for another agent', async () => {
    const first = await submitAndroid();
    const second = await submitAndroid();
    const once = await startAgent({
      serverUrl: server.url,
      key: workerKey,
      command: COMMAND,
      // Room for two, yet --once takes one.
      args: [...QUICK, '--once', '--concurrency', '2', '--platforms', 'android'],
    });
    expect((await once.exited).code, once.lines().join('\n')).toBe(0);
    const claimed = claimedBy(once);
    expect(claimed).toHaveLength(1);
    expect([first, second]).toContain(claimed[0]);
    expect(await buildStatus(server, claimed[0]!)).toBe('COMPLETED');
    const other = claimed[0] === first ? second : first;
    expect(await buildStatus(server, other)).toBe('PENDING');

    const next = await readyAgent({ args: ['--platforms', 'android'] });
    await next.agent.waitForLine(new RegExp(`build ${other} completed`));
    const done = expectData(await readBuild(server, submitterKey, other, 'status worker { id }')).build;
    expect(done).toEqual({ status: 'COMPLETED', worker: { id: next.workerId } });
    await stopCleanly(next.agent);
  });

  it('--idle-timeout 2: an agent without work exits 0 by itself and unregisters (its worker goes OFFLINE)', async () => {
    const { agent, workerId } = await readyAgent({ args: ['--idle-timeout', '2'] });
    expect(expectData(await readWorker(server, server.adminKey, workerId, 'status')).worker.status).toBe('IDLE');
    const exit = await agent.exited;
    expect(exit.code, agent.lines().join('\n')).toBe(0);
    expect(agent.lines().join('\n')).toMatch(/--idle-timeout/);
    expect(expectData(await readWorker(server, server.adminKey, workerId, 'status')).worker.status).toBe('OFFLINE');
  });

  it('secrets: *_TOKEN and --redact-env values are [REDACTED] in stored logs and failure messages; builds do not see FREE_AGENT_KEY', async () => {
    const token = 's3cr3t-value-123';
    const myVar = 'another-secret-42';
    const { agent } = await readyAgent({
      command: [
        'echo "deploy token: $DEPLOY_TOKEN"',
        'echo "my var: $MY_VAR" >&2',
        'echo "both: $DEPLOY_TOKEN/$MY_VAR"',
        'echo "key: ${FREE_AGENT_KEY:-unset}"',
        COMMAND,
      ].join('; '),
      args: ['--platforms', 'android', '--redact-env', 'MY_VAR'],
      env: { DEPLOY_TOKEN: token, MY_VAR: myVar },
    });
    const completed = await submitAndroid();
    const failed = await submitAndroid({ metadata: { fail: '1' } });
    await agent.waitForLine(new RegExp(`build ${completed} completed`));
    await agent.waitForLine(new RegExp(`build ${failed} failed`));

    for (const buildId of [completed, failed]) {
      const messages = (await storedLog(server, submitterKey, buildId)).map((line) => line.message);
      expect(messages).toEqual(
        expect.arrayContaining(['deploy token: [REDACTED]', 'my var: [REDACTED]', 'both: [REDACTED]/[REDACTED]', 'key: unset']),
      );
      for (const message of messages) {
        expect(message).not.toContain(token);
        expect(message).not.toContain(myVar);
        expect(message).not.toContain(workerKey);
      }
    }
    const { errorMessage } = expectData(await readBuild(server, submitterKey, failed, 'errorMessage')).build as { errorMessage: string };
    expect(errorMessage).toContain('deploy token: [REDACTED]');
    expect(errorMessage).toContain('my var: [REDACTED]');
    expect(errorMessage).not.toContain(token);
    expect(errorMessage).not.toContain(myVar);
    await stopCleanly(agent);
  });

  it('a restarted agent with the same --work-dir registers as the same worker; its state file is 0600', async () => {
    const first = await readyAgent({});
    const stateFile = path.join(first.agent.workDir, 'agent-state.json');
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ serverUrl: server.url, workerId: first.workerId });
    await stopCleanly(first.agent);

    const second = await readyAgent({ workDir: first.agent.workDir });
    expect(second.workerId).toBe(first.workerId);
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    await stopCleanly(second.agent);
  });

  it('--health-port 0 serves /health: idle, then building with the build id, then idle again', async () => {
    const { agent, workerId } = await readyAgent({ command: GATED_COMMAND, args: ['--platforms', 'android', '--health-port', '0'] });
    const url = (await agent.waitForLine(/health endpoint on (http:\/\/127\.0\.0\.1:\d+\/health)$/))[1]!;
    const idle = await healthOf(url);
    expect(idle).toEqual({ code: 200, body: { status: 'idle', connected: true, workerId, builds: [] } });

    const buildId = await submitAndroid();
    await agent.waitForLine(new RegExp(`claimed build ${buildId}`));
    expect(await healthOf(url)).toEqual({ code: 200, body: { status: 'building', connected: true, workerId, builds: [buildId] } });

    await openGate(buildId);
    await agent.waitForLine(new RegExp(`build ${buildId} completed`));
    await eventually(async () => ((await healthOf(url)).body.status === 'idle' ? true : undefined), 10_000, 'health idle again');
    expect(await healthOf(url)).toEqual({ code: 200, body: { status: 'idle', connected: true, workerId, builds: [] } });
    await stopCleanly(agent);
  });

  it('drainWorker: the agent prints draining, finishes its build and claims nothing more', async () => {
    const drained = await readyAgent({ command: GATED_COMMAND, args: ['--platforms', 'android'] });
    const running = await submitAndroid();
    await drained.agent.waitForLine(new RegExp(`claimed build ${running}`));
    const queued = await submitAndroid();
    const answer = await graphql(
      server.graphqlUrl,
      'mutation ($id: ID!) { drainWorker(id: $id) { id status } }',
      { id: drained.workerId },
      server.adminKey,
    );
    expect(expectData(answer).drainWorker).toEqual({ id: drained.workerId, status: 'DRAINING' });
    await drained.agent.waitForLine(/draining: taking no new builds/);

    // Its build finishes; the queued one, which it would otherwise take next, goes to another agent.
    await openGate(running);
    await drained.agent.waitForLine(new RegExp(`build ${running} completed`));
    await openGate(queued);
    const other = await readyAgent({ command: GATED_COMMAND, args: ['--platforms', 'android'] });
    await other.agent.waitForLine(new RegExp(`build ${queued} completed`));
    expect(claimedBy(drained.agent)).toEqual([running]);
    expect(expectData(await readBuild(server, submitterKey, queued, 'worker { id }')).build.worker.id).toBe(other.workerId);
    await Promise.all([stopCleanly(drained.agent), stopCleanly(other.agent)]);
  });

  it('revokeWorker while a build runs: the agent ends the build process and exits 6', async () => {
    const { agent, workerId } = await readyAgent({ command: GATED_COMMAND, args: ['--platforms', 'android'] });
    const buildId = await submitAndroid();
    await agent.waitForLine(new RegExp(`claimed build ${buildId}`));
    const pgid = await gatedPid(buildId);
    expect(liveGroupMembers(pgid)).toContain(pgid);

    expectData(await revokeWorker(server, workerId));
    const exit = await agent.exited;
    expect(exit.code, agent.lines().join('\n')).toBe(6);
    expect(liveGroupMembers(pgid)).toEqual([]);
    // The server put the build back in the queue; nobody else is here to take it.
    expect(await buildStatus(server, buildId)).toBe('PENDING');
    expectData(await cancelBuild(server, server.adminKey, buildId));
  });
});
