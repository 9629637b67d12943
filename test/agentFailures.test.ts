import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent, type StartAgentOptions } from './helpers/agent.ts';
import {
  cancelBuild,
  claim,
  createApiKey,
  eventually,
  readBuild,
  readWorker,
  sha256,
  storedLog,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { makeTempDir } from './helpers/postgresCluster.ts';
import type { TestServer } from './helpers/server.ts';

// The bundled agent when things go wrong: crashes, signals, cancels, short-lived tokens, hostile
// archives and a claim whose answer is lost, each against a real server. Every build requires a label only that test's agents offer,
// so no agent takes another test's build.
const { server } = useServer({ FREE_AGENT_RESCUE_INTERVAL_SECONDS: '1', FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: '3' });
let tempDir: string;
let submitterKey: string;
let workerKey: string;
let plainSource: Buffer;

/**
 * Agents and build process groups a test started; afterEach ends what the test did not. A group
 * is forgotten once the test saw it end (pids are reused: only a live group of ours is signalled).
 */
const startedAgents: AgentProcess[] = [];
const buildGroups = new Set<number>();

beforeAll(async () => {
  tempDir = await makeTempDir('free-agent-test-failures-');
  submitterKey = (await createApiKey(server, 'SUBMITTER', 'failure tests')).secret;
  workerKey = (await createApiKey(server, 'WORKER', 'failure tests')).secret;
  plainSource = await makeArchive('tar', [{ name: 'input.txt', type: 'file', content: 'source\n' }]);
});

afterEach(async () => {
  await Promise.all(startedAgents.splice(0).map(stopNow));
  for (const pgid of buildGroups) {
    buildGroups.delete(pgid);
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

/** Starts an agent for `suite`'s builds only (`--labels suite=<suite>`), tracked for afterEach. */
async function agentFor(
  target: TestServer,
  key: string,
  suite: string,
  options: Omit<StartAgentOptions, 'serverUrl' | 'key'>,
): Promise<AgentProcess> {
  const agent = await startAgent({
    serverUrl: target.url,
    key,
    ...options,
    args: ['--labels', `suite=${suite}`, '--poll-interval', '1', ...(options.args ?? [])],
  });
  startedAgents.push(agent);
  return agent;
}

/** The worker id the agent registered as. */
async function workerIdOf(agent: AgentProcess): Promise<string> {
  return (await agent.waitForLine(/registered as worker ([0-9a-f-]{36})/))[1]!;
}

/** The agent's exit status, or a failure (with its output) when it has not exited within `timeoutMs`. */
async function exitOf(agent: AgentProcess, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`agent ${agent.name} did not exit within ${timeoutMs} ms. Its output:\n${agent.lines().join('\n')}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([agent.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Cleanup for agents a test left running: SIGTERM twice (hand back now), SIGKILL when that does not end it. */
async function stopNow(agent: AgentProcess): Promise<void> {
  // On an agent that has exited already, each step below returns at once.
  agent.signal('SIGTERM');
  await agent.waitForLine(/stopping/, 5_000).catch(() => undefined);
  agent.signal('SIGTERM');
  await exitOf(agent, 20_000).catch(() => agent.kill());
}

/** The file's content once the build command has written it whole (a line ending in a newline). */
function fileWritten(file: string, timeoutMs = 15_000): Promise<string> {
  return eventually(
    async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      return text.endsWith('\n') ? text : undefined;
    },
    timeoutMs,
    `${file} to be written`,
  );
}

/**
 * Whether the process still runs. A zombie counts as ended: it has exited and holds nothing, but
 * stays in the process table until its parent reaps it (here the orphan's new parent, pid 1,
 * reaps only now and then).
 */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false; // ps exits 1 when the pid is gone meanwhile
  }
}

/** The running (not zombie) members of process group `pgid`. */
function groupMembers(pgid: number): number[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat!.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

async function buildFields<T>(target: TestServer, buildId: string, selection: string): Promise<T> {
  return expectData(await readBuild(target, target.adminKey, buildId, selection)).build as T;
}

async function workerStatus(target: TestServer, workerId: string): Promise<string> {
  return (expectData(await readWorker(target, target.adminKey, workerId, 'status')).worker as { status: string }).status;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface ArchiveEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  content?: string;
  target?: string;
  /** The same entry this many times (default 1). */
  repeat?: number;
  /** A zip file entry of this many zero bytes instead of `content` (deflate makes it ~1000× smaller). */
  zeros?: number;
}

// Python's tarfile and zipfile encode any entry name and link they are given (tar and zip tools
// refuse hostile ones), so the hostile archives are made by a real encoder. Tar entries are written
// as their encoded blocks, so an entry repeated 100,001 times costs one header and a multiplication.
const ARCHIVE_WRITER = String.raw`
import gzip, json, sys, tarfile, zipfile
spec = json.loads(sys.argv[1])
if spec['format'] == 'tar':
    blocks = []
    for entry in spec['entries']:
        info = tarfile.TarInfo(entry['name'])
        data = b''
        if entry['type'] == 'symlink':
            info.type = tarfile.SYMTYPE
            info.linkname = entry['target']
        elif entry['type'] == 'dir':
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
        else:
            data = entry['content'].encode()
            info.size = len(data)
            info.mode = 0o644
        block = info.tobuf(tarfile.USTAR_FORMAT) + data + b'\0' * (-len(data) % 512)
        blocks.append(block * entry.get('repeat', 1))
    with gzip.open(spec['out'], 'wb') as out:
        out.write(b''.join(blocks) + b'\0' * 1024)
else:
    with zipfile.ZipFile(spec['out'], 'w') as archive:
        for entry in spec['entries']:
            info = zipfile.ZipInfo(entry['name'])
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            if entry['type'] == 'symlink':
                info.external_attr = 0o120777 << 16
                archive.writestr(info, entry['target'])
            else:
                info.external_attr = 0o100644 << 16
                archive.writestr(info, entry['content'] if 'content' in entry else b'\0' * entry['zeros'])
`;

/** A .tar.gz or .zip of `entries`, written by python3. */
async function makeArchive(format: 'tar' | 'zip', entries: ArchiveEntry[]): Promise<Buffer> {
  const out = path.join(await mkdtemp(path.join(tempDir, 'archive-')), format === 'tar' ? 'source.tar.gz' : 'source.zip');
  execFileSync('python3', ['-c', ARCHIVE_WRITER, JSON.stringify({ format, out, entries })]);
  return readFile(out);
}

/**
 * A build command whose behaviour depends on the agent running it: it records its shell's pid (its
 * process group) per attempt, then loops forever on an agent started with AGENT_ROLE=slow, and
 * otherwise writes AGENT_ROLE as the result at once.
 */
function roleCommand(dir: string): string {
  return `echo $$ > "${dir}/pgid-$FREE_AGENT_ATTEMPT"; if [ "$AGENT_ROLE" = slow ]; then while :; do sleep 0.2; done; fi; printf %s "$AGENT_ROLE" > "$FREE_AGENT_RESULT"`;
}

describe('an agent that dies', () => {
  it('loses its build to another agent when killed with SIGKILL mid-build; the other completes it as attempt 2', async () => {
    const dir = await mkdtemp(path.join(tempDir, 'crash-'));
    const doomed = await agentFor(server, workerKey, 'crash', { command: roleCommand(dir), env: { AGENT_ROLE: 'slow' } });
    await workerIdOf(doomed);
    const build = await submitBuild(server, submitterKey, { source: plainSource, requiredLabels: ['suite=crash'] });
    await doomed.waitForLine(new RegExp(`claimed build ${build.id} \\(attempt 1\\)`));
    const pgid = Number(await fileWritten(path.join(dir, 'pgid-1')));
    buildGroups.add(pgid);

    // A crash: the agent and its build die at once, nothing is reported.
    await doomed.kill();
    process.kill(-pgid, 'SIGKILL');
    buildGroups.delete(pgid);

    const rescuer = await agentFor(server, workerKey, 'crash', { command: roleCommand(dir), env: { AGENT_ROLE: 'rescuer' } });
    const rescuerId = await workerIdOf(rescuer);
    await rescuer.waitForLine(new RegExp(`claimed build ${build.id} \\(attempt 2\\)`), 30_000);
    await rescuer.waitForLine(new RegExp(`build ${build.id} completed`));
    expect(await buildFields(server, build.id, 'status attempt resultSha256 worker { id }')).toEqual({
      status: 'COMPLETED',
      attempt: 2,
      resultSha256: sha256(Buffer.from('rescuer')),
      worker: { id: rescuerId },
    });
    await rescuer.stop();
    expect((await rescuer.exited).code).toBe(0);
  });
});

describe('an agent told to stop', () => {
  it('on SIGTERM lets the running build finish, reports it COMPLETED, exits 0 and leaves its worker OFFLINE', async () => {
    const dir = await mkdtemp(path.join(tempDir, 'sigterm-'));
    // The build waits for the test's go-ahead, so it surely runs when the signal arrives.
    const agent = await agentFor(server, workerKey, 'sigterm-finish', {
      command: `touch "${dir}/started"; while [ ! -f "${dir}/go" ]; do sleep 0.1; done; echo finishing; echo artifact > "$FREE_AGENT_RESULT"`,
    });
    const workerId = await workerIdOf(agent);
    const build = await submitBuild(server, submitterKey, { source: plainSource, requiredLabels: ['suite=sigterm-finish'] });
    await eventually(async () => ((await readFile(path.join(dir, 'started')).catch(() => undefined)) ? true : undefined));

    agent.signal('SIGTERM');
    await agent.waitForLine(/stopping/);
    await writeFile(path.join(dir, 'go'), '');

    await agent.waitForLine(new RegExp(`build ${build.id} completed`));
    expect((await exitOf(agent, 20_000)).code).toBe(0);
    expect(await buildFields(server, build.id, 'status resultSha256')).toEqual({
      status: 'COMPLETED',
      resultSha256: sha256(Buffer.from('artifact\n')),
    });
    expect(await workerStatus(server, workerId)).toBe('OFFLINE');
  });

  it('on a second SIGTERM hands a long build back at once and exits 0; another agent then completes it', async () => {
    const dir = await mkdtemp(path.join(tempDir, 'sigterm-twice-'));
    const agent = await agentFor(server, workerKey, 'sigterm-twice', { command: roleCommand(dir), env: { AGENT_ROLE: 'slow' } });
    await workerIdOf(agent);
    const build = await submitBuild(server, submitterKey, { source: plainSource, requiredLabels: ['suite=sigterm-twice'] });
    const pgid = Number(await fileWritten(path.join(dir, 'pgid-1')));
    buildGroups.add(pgid);

    agent.signal('SIGTERM');
    await agent.waitForLine(/stopping/);
    agent.signal('SIGTERM');
    await agent.waitForLine(/stopping now \(SIGTERM again\)/);
    await agent.waitForLine(new RegExp(`build ${build.id} handed back`), 10_000);
    // Default shutdown grace (60 s) and cancel grace (10 s): only the second signal ends it this soon.
    expect((await exitOf(agent, 10_000)).code).toBe(0);
    expect(groupMembers(pgid)).toEqual([]);
    buildGroups.delete(pgid);
    expect(await buildFields(server, build.id, 'status attempt')).toEqual({ status: 'PENDING', attempt: 1 });

    const next = await agentFor(server, workerKey, 'sigterm-twice', { command: roleCommand(dir), env: { AGENT_ROLE: 'next' } });
    const nextId = await workerIdOf(next);
    await next.waitForLine(new RegExp(`claimed build ${build.id} \\(attempt 2\\)`));
    await next.waitForLine(new RegExp(`build ${build.id} completed`));
    expect(await buildFields(server, build.id, 'status resultSha256 worker { id }')).toEqual({
      status: 'COMPLETED',
      resultSha256: sha256(Buffer.from('next')),
      worker: { id: nextId },
    });
    await next.stop();
    expect((await next.exited).code).toBe(0);
  });

  it('with --shutdown-grace-seconds 1 hands a long build back after the grace on a single SIGTERM', async () => {
    const dir = await mkdtemp(path.join(tempDir, 'sigterm-grace-'));
    const agent = await agentFor(server, workerKey, 'sigterm-grace', {
      command: roleCommand(dir),
      env: { AGENT_ROLE: 'slow' },
      args: ['--shutdown-grace-seconds', '1'],
    });
    await workerIdOf(agent);
    const build = await submitBuild(server, submitterKey, { source: plainSource, requiredLabels: ['suite=sigterm-grace'] });
    const pgid = Number(await fileWritten(path.join(dir, 'pgid-1')));
    buildGroups.add(pgid);

    agent.signal('SIGTERM');
    await agent.waitForLine(/stopping/);
    await agent.waitForLine(/stopping now \(shutdown grace over\)/, 10_000);
    await agent.waitForLine(new RegExp(`build ${build.id} handed back`), 10_000);
    expect((await exitOf(agent, 10_000)).code).toBe(0);
    expect(groupMembers(pgid)).toEqual([]);
    buildGroups.delete(pgid);
    expect(await buildFields(server, build.id, 'status attempt')).toEqual({ status: 'PENDING', attempt: 1 });
    // Nobody else offers this suite's label: take the build off the queue.
    expect(expectData(await cancelBuild(server, submitterKey, build.id)).cancelBuild.status).toBe('CANCELLED');
  });
});

describe('a cancelled build', () => {
  it('ends every process of its group, children ignoring SIGTERM included, and the agent takes the next build', async () => {
    const dir = await mkdtemp(path.join(tempDir, 'cancel-'));
    // "stubborn" starts three children that ignore SIGTERM (as do their own children) and waits.
    const command = [
      `if [ "$FREE_AGENT_META_MODE" = stubborn ]; then`,
      `for i in 1 2 3; do sh -c 'trap "" TERM; while :; do sleep 0.2; done' & echo $! >> "${dir}/pids"; done;`,
      `echo $$ > "${dir}/pgid"; wait;`,
      `fi;`,
      `echo next > "$FREE_AGENT_RESULT"`,
    ].join(' ');
    const agent = await agentFor(server, workerKey, 'cancel', { command, args: ['--cancel-grace-seconds', '2'] });
    await workerIdOf(agent);
    const stubborn = await submitBuild(server, submitterKey, {
      source: plainSource,
      requiredLabels: ['suite=cancel'],
      metadata: { mode: 'stubborn' },
    });
    await agent.waitForLine(new RegExp(`claimed build ${stubborn.id}`));
    const pgid = Number(await fileWritten(path.join(dir, 'pgid')));
    buildGroups.add(pgid);
    const pids = (await readFile(path.join(dir, 'pids'), 'utf8')).trim().split('\n').map(Number);
    expect(pids).toHaveLength(3);
    expect(pids.every(isRunning)).toBe(true);
    // Queued behind it (concurrency 1): taken once the cancelled build has ended.
    const next = await submitBuild(server, submitterKey, {
      source: plainSource,
      requiredLabels: ['suite=cancel'],
      metadata: { mode: 'next' },
    });

    expect(expectData(await cancelBuild(server, submitterKey, stubborn.id)).cancelBuild.status).toBe('CANCELLED');
    // SIGTERM, then SIGKILL after the 2 s grace: bounded well above that.
    await eventually(async () => (pids.some(isRunning) ? undefined : true), 8_000, 'the stubborn children to be killed');
    await agent.waitForLine(new RegExp(`build ${stubborn.id} cancelled`));
    expect(groupMembers(pgid)).toEqual([]);
    buildGroups.delete(pgid);
    expect(await buildFields(server, stubborn.id, 'status')).toEqual({ status: 'CANCELLED' });

    await agent.waitForLine(new RegExp(`build ${next.id} completed`));
    const lines = agent.lines();
    const cancelledAt = lines.findIndex((line) => line.includes(`build ${stubborn.id} cancelled`));
    const claimedAt = lines.findIndex((line) => line.includes(`claimed build ${next.id}`));
    expect(claimedAt).toBeGreaterThan(cancelledAt);
    expect(await buildFields(server, next.id, 'status resultSha256')).toEqual({
      status: 'COMPLETED',
      resultSha256: sha256(Buffer.from('next\n')),
    });
    await agent.stop();
    expect((await agent.exited).code).toBe(0);
  });
});

describe('hostile source archives', () => {
  // One of each kind end to end (agentArchive.test.ts tries every hostile entry against the unpacker).
  it('are refused: the build FAILS saying why, and nothing is written outside the work directory', async () => {
    // The agent works in <scratch>/work: a build's source is <scratch>/work/builds/<id>-<attempt>/source,
    // so "../../../../x" from there is <scratch>/x, outside the work directory but inside this test's scratch.
    const scratch = path.join(tempDir, 'archives');
    const outside = path.join(scratch, 'outside');
    await mkdir(outside, { recursive: true });
    await mkdir(path.join(scratch, 'work'));
    const cases: { label: string; archive: Buffer; reason: RegExp }[] = [
      {
        label: 'tar.gz with ../',
        archive: await makeArchive('tar', [{ name: '../../../../escape-tar.txt', type: 'file', content: 'x' }]),
        reason: /^\.\.\/\.\.\/\.\.\/\.\.\/escape-tar\.txt: "\.\." would leave the directory$/,
      },
      {
        label: 'zip writing through a symlink outside',
        archive: await makeArchive('zip', [
          { name: 'link', type: 'symlink', target: outside },
          { name: 'link/planted-zip.txt', type: 'file', content: 'x' },
        ]),
        reason: new RegExp(`^link: a symlink to ${escapeRegExp(outside)} points out of the directory$`),
      },
      {
        // The byte bound end to end, lowered by --max-unpacked-mib 16: 64 MiB of zeros in a ~64 KiB zip.
        label: 'zip bomb',
        archive: await makeArchive('zip', [{ name: 'zeros.bin', type: 'file', zeros: 64 * 1024 * 1024 }]),
        reason: new RegExp(`^zeros\\.bin: the archive unpacks to more than ${16 * 1024 * 1024} bytes$`),
      },
    ];
    const agent = await agentFor(server, workerKey, 'archives', {
      command: 'echo ran > "$FREE_AGENT_RESULT"',
      workDir: path.join(scratch, 'work'),
      args: ['--concurrency', '2', '--max-unpacked-mib', '16'],
    });
    await workerIdOf(agent);
    const builds = await Promise.all(
      cases.map(async (testCase) => ({
        ...testCase,
        id: (await submitBuild(server, submitterKey, { source: testCase.archive, requiredLabels: ['suite=archives'] })).id,
      })),
    );
    for (const build of builds) {
      const [, printed] = await agent.waitForLine(new RegExp(`build ${build.id} failed: (.*)`));
      const prefix = 'The source archive was refused: ';
      expect(printed!.startsWith(prefix), `${build.label}: ${printed}`).toBe(true);
      expect(printed!.slice(prefix.length), build.label).toMatch(build.reason);
      const stored = await buildFields<{ status: string; errorMessage: string }>(server, build.id, 'status errorMessage');
      expect(stored.status, build.label).toBe('FAILED');
      expect(stored.errorMessage.startsWith(`${printed}\n`) || stored.errorMessage === printed, build.label).toBe(true);
    }
    expect((await readdir(scratch)).sort()).toEqual(['outside', 'work']);
    expect(await readdir(outside)).toEqual([]);
    await agent.stop();
    expect((await agent.exited).code).toBe(0);
  });
});

describe('an access token shorter than the build', () => {
  // Its own server: a 3 s token (1 s grace) is rotated several times during a 10 s build.
  const { server: shortTokens } = useServer({ FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: '3', FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS: '1' });

  it('is renewed while the build runs: the build completes and its log holds every line once, in order', async () => {
    const submitter = (await createApiKey(shortTokens, 'SUBMITTER', 'token tests')).secret;
    const worker = (await createApiKey(shortTokens, 'WORKER', 'token tests')).secret;
    const agent = await agentFor(shortTokens, worker, 'tokens', {
      command: 'i=1; while [ $i -le 50 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done; echo built > "$FREE_AGENT_RESULT"',
    });
    await workerIdOf(agent);
    const stateFile = path.join(agent.workDir, 'agent-state.json');
    const firstToken = (JSON.parse(await readFile(stateFile, 'utf8')) as { accessToken: string }).accessToken;
    const build = await submitBuild(shortTokens, submitter, { source: plainSource, requiredLabels: ['suite=tokens'] });

    await agent.waitForLine(new RegExp(`build ${build.id} completed`), 45_000);
    expect(await buildFields(shortTokens, build.id, 'status resultSha256')).toEqual({
      status: 'COMPLETED',
      resultSha256: sha256(Buffer.from('built\n')),
    });
    const lines = (await storedLog(shortTokens, submitter, build.id)).filter((line) => line.level !== 'DEBUG');
    expect(lines.map(({ level, message }) => ({ level, message }))).toEqual(
      Array.from({ length: 50 }, (_, index) => ({ level: 'INFO', message: `line ${index + 1}` })),
    );
    // The build outlived the first token: the agent runs on a renewed one.
    expect((JSON.parse(await readFile(stateFile, 'utf8')) as { accessToken: string }).accessToken).not.toBe(firstToken);
    await agent.stop();
    expect((await agent.exited).code).toBe(0);
  });
});

describe('a claim whose answer is lost', () => {
  // Its own server, whose 60 s tokens have the idle agent read its status every 10 s.
  const { server: tenSecondBeats } = useServer({ FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: '60' });

  it('is found by the agent, which runs the build it was given instead of leaving it assigned until the heartbeat timeout', async () => {
    const submitter = (await createApiKey(tenSecondBeats, 'SUBMITTER', 'lost claims')).secret;
    const worker = (await createApiKey(tenSecondBeats, 'WORKER', 'lost claims')).secret;
    const agent = await agentFor(tenSecondBeats, worker, 'lost', { command: 'echo built > "$FREE_AGENT_RESULT"' });
    // Connected: past its start, where it hands back what an earlier run of it left assigned.
    await agent.waitForLine(/connected to/);
    const token = (JSON.parse(await readFile(path.join(agent.workDir, 'agent-state.json'), 'utf8')) as { accessToken: string }).accessToken;
    // The server assigns the build to the agent's worker, and the answer goes elsewhere, as when the
    // connection breaks after the claim committed: paused meanwhile, the agent claims nothing itself.
    // A claim it sent just before the pause may still reach a loaded server after the submit and take
    // the build: then that build runs as usual, and the scene is set again.
    let build!: { id: string };
    for (let round = 1; ; round++) {
      agent.signal('SIGSTOP');
      let claimedHere: boolean;
      try {
        build = await submitBuild(tenSecondBeats, submitter, { source: plainSource, requiredLabels: ['suite=lost'] });
        claimedHere = (await claim(tenSecondBeats, token))?.id === build.id;
      } finally {
        agent.signal('SIGCONT');
      }
      if (claimedHere) break;
      expect(round, 'rounds in which the agent took the build itself').toBeLessThan(3);
      await agent.waitForLine(new RegExp(`build ${build.id} completed`), 20_000);
    }
    await agent.waitForLine(new RegExp(`build ${build.id} was assigned to this worker by a claim whose answer was lost`), 20_000);
    await agent.waitForLine(new RegExp(`build ${build.id} completed`), 20_000);
    expect(await buildFields(tenSecondBeats, build.id, 'status attempt resultSha256')).toEqual({
      status: 'COMPLETED',
      attempt: 1,
      resultSha256: sha256(Buffer.from('built\n')),
    });
    await agent.stop();
    expect((await agent.exited).code).toBe(0);
  });
});
