import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from './helpers/agent.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { createApiKey, eventually, readBuild, storedLog, submitBuild } from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// A server restart (graceful or SIGKILL) and lost database connections in the middle of running
// builds, with the bundled agent and real server processes: every build completes, no agent needs
// a hand, and each stored log is exactly what the build command printed, in order, once.

/** Heartbeat silence after which the server re-queues a build: well above a restart's downtime. */
const SERVER_ENV = { FREE_AGENT_RESCUE_INTERVAL_SECONDS: '1', FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: '20' };
/** Lines each long build prints: 50 every 100 ms, so about 6 s of output. */
const LONG_BUILD_LINES = 3000;
/** A build's printed lines after which it counts as running mid-way (the outage comes then). */
const MID_RUN_LINES = 300;
/** Each scenario: start a server and two agents, run builds for ~6 s through each outage, then one more build. */
const SCENARIO_TIMEOUT_MS = 240_000;

let tempDir: string;
/** Where each build command records what it printed, one file per build attempt. */
let recordDir: string;
let command: string;
let source: Buffer;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-resilience-'));
  recordDir = path.join(tempDir, 'printed');
  await mkdir(recordDir);
  // The build command: numbered lines in bursts (each burst also appended to the record file
  // first), then the result. FREE_AGENT_META_LINES sets how many lines (default LONG_BUILD_LINES).
  const script = path.join(tempDir, 'printer.mjs');
  await writeFile(
    script,
    `import { appendFileSync, writeFileSync } from 'node:fs';
const env = process.env;
const total = Number(env.FREE_AGENT_META_LINES ?? ${LONG_BUILD_LINES});
const record = env.RECORD_DIR + '/' + env.FREE_AGENT_BUILD_ID + '-' + env.FREE_AGENT_ATTEMPT + '.log';
let printed = 0;
const timer = setInterval(() => {
  let chunk = '';
  for (let n = 0; n < 50 && printed < total; n++) chunk += 'line ' + String(++printed).padStart(4, '0') + ' of build ' + env.FREE_AGENT_BUILD_ID + '\\n';
  appendFileSync(record, chunk);
  process.stdout.write(chunk);
  if (printed < total) return;
  clearInterval(timer);
  writeFileSync(env.FREE_AGENT_RESULT, 'artifact of ' + env.FREE_AGENT_BUILD_ID + ' attempt ' + env.FREE_AGENT_ATTEMPT + '\\n');
}, 100);
`,
  );
  command = `"${process.execPath}" "${script}"`;
  const sourceDir = path.join(tempDir, 'source');
  await mkdir(sourceDir);
  await writeFile(path.join(sourceDir, 'README'), 'an app\n');
  execFileSync('tar', ['-czf', path.join(tempDir, 'source.tar.gz'), '-C', sourceDir, '.']);
  source = await readFile(path.join(tempDir, 'source.tar.gz'));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

interface Scenario {
  database: TestDatabase;
  /** The server now serving (replaced by a restart). */
  server: TestServer;
  servers: TestServer[];
  agents: AgentProcess[];
  submitterKey: string;
}

/**
 * A database, a server on it, and two agents (one running two builds at once) connected to it;
 * `body` runs, then everything is stopped, the agents checked to exit 0, and the database dropped.
 */
async function withFleet(body: (scenario: Scenario) => Promise<void>): Promise<void> {
  const database = await createTestDatabase();
  const server = await startServer({ databaseUrl: database.url, env: SERVER_ENV });
  const scenario: Scenario = { database, server, servers: [server], agents: [], submitterKey: '' };
  try {
    scenario.submitterKey = (await createApiKey(server, 'SUBMITTER', 'resilience')).secret;
    const workerKey = (await createApiKey(server, 'WORKER', 'resilience')).secret;
    for (const concurrency of ['2', '1']) {
      scenario.agents.push(
        await startAgent({
          serverUrl: server.url,
          key: workerKey,
          command,
          args: ['--concurrency', concurrency, '--poll-interval', '2', '--cancel-grace-seconds', '2', '--shutdown-grace-seconds', '5'],
          env: { RECORD_DIR: recordDir },
        }),
      );
    }
    await Promise.all(scenario.agents.map((agent) => agent.waitForLine(/connected to /)));
    await body(scenario);
    await Promise.all(scenario.agents.map((agent) => agent.stop()));
    for (const agent of scenario.agents) expect((await agent.exited).code, agent.lines().slice(-20).join('\n')).toBe(0);
  } finally {
    await Promise.all(scenario.agents.map((agent) => agent.stop()));
    for (const started of scenario.servers) await started.stop();
    await database.drop();
  }
}

/** Submits `count` builds of the printing command; returns their ids. */
async function submitBuilds(scenario: Scenario, count: number, metadata: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push((await submitBuild(scenario.server, scenario.submitterKey, { source, metadata })).id);
  return ids;
}

/** The lines a build attempt's command recorded as printed so far ([] before it started). */
async function printedLines(buildId: string, attempt: number): Promise<string[]> {
  const text = await readFile(path.join(recordDir, `${buildId}-${attempt}.log`), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/** Waits until each build's first attempt printed MID_RUN_LINES lines: all of them are running now. */
async function waitUntilMidRun(buildIds: string[]): Promise<void> {
  await eventually(
    async () => {
      const counts = await Promise.all(buildIds.map(async (id) => (await printedLines(id, 1)).length));
      return counts.every((count) => count >= MID_RUN_LINES) || undefined;
    },
    60_000,
    `every build printing ${MID_RUN_LINES} lines`,
  );
}

/** Expects some build still printing: the outage happened mid-run, not after the builds ended. */
async function expectStillPrinting(buildIds: string[], note = ''): Promise<void> {
  const counts = await Promise.all(buildIds.map(async (id) => (await printedLines(id, 1)).length));
  expect(
    counts.some((count) => count < LONG_BUILD_LINES),
    `lines printed when the outage began: ${counts.join(', ')}${note}`,
  ).toBe(true);
}

/**
 * Waits for every build to be COMPLETED, then expects its latest attempt's stored log (without the
 * agent's own DEBUG lines) to be exactly what that attempt's command printed: `lines` numbered
 * lines, every one once, in order, all INFO; and the stored seqs to run 1…n without a gap.
 */
async function expectCompletedWithExactLogs(scenario: Scenario, buildIds: string[], lines: number): Promise<void> {
  const { server, submitterKey } = scenario;
  for (const id of buildIds) {
    const build = await eventually(
      async () => {
        const answer = await readBuild(server, submitterKey, id, 'status attempt resultSha256 errorMessage');
        // A read on a connection the last outage cut is answered UNAVAILABLE: a client retries it.
        if (answer.errors?.[0]?.extensions?.code === 'UNAVAILABLE') return undefined;
        const read = expectData(answer).build as {
          status: string;
          attempt: number;
          resultSha256: string | null;
          errorMessage: string | null;
        };
        if (read.status === 'FAILED' || read.status === 'CANCELLED')
          throw new Error(`build ${id} ended ${read.status}: ${read.errorMessage}`);
        return read.status === 'COMPLETED' ? read : undefined;
      },
      90_000,
      `build ${id} to complete`,
    );
    const printed = await printedLines(id, build.attempt);
    const expected = Array.from({ length: lines }, (_, n) => `line ${String(n + 1).padStart(4, '0')} of build ${id}`);
    // What the command printed is the whole numbered sequence: the record itself is sound.
    expect(printed).toEqual(expected);
    const stored = await storedLog(server, submitterKey, id, build.attempt);
    expect(stored.map((line) => line.seq)).toEqual(stored.map((_, n) => n + 1));
    const output = stored.filter((line) => line.level !== 'DEBUG');
    expect(output.filter((line) => line.level !== 'INFO')).toEqual([]);
    expect(output.map((line) => line.message)).toEqual(printed);
    expect(build.resultSha256).toBe(sha256(`artifact of ${id} attempt ${build.attempt}\n`));
    if (build.attempt > 1) console.log(`agentResilience: build ${id} was re-queued and completed on attempt ${build.attempt}`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Resolves once `agent` printed a line matching `pattern` after its first `after` lines. */
async function waitForLineAfter(agent: AgentProcess, after: number, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  try {
    return await eventually(
      async () =>
        agent
          .lines()
          .slice(after)
          .find((line) => pattern.test(line)),
      timeoutMs,
      `${pattern}`,
    );
  } catch (error) {
    throw new Error(`agent ${agent.name}: ${(error as Error).message}. Its output:\n${agent.lines().join('\n')}`);
  }
}

/**
 * Stops the server (SIGTERM and wait, or SIGKILL), checks the builds are still printing, waits
 * 2 s, and starts it again on the same port, database and data directory, so the agents find it
 * at the URL they were given.
 */
async function restartServer(scenario: Scenario, how: 'stop' | 'kill', buildIds: string[]): Promise<void> {
  const old = scenario.server;
  const stoppingAt = Date.now();
  await (how === 'stop' ? old.stop() : old.kill());
  // A graceful stop that hangs ends in the helper's SIGKILL after 15 s, the builds done by then.
  await expectStillPrinting(buildIds, ` (the server took ${Date.now() - stoppingAt} ms to ${how})`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  scenario.server = await startServer({
    databaseUrl: scenario.database.url,
    dataDir: old.dataDir,
    env: { ...SERVER_ENV, PORT: new URL(old.url).port, FREE_AGENT_ADMIN_KEY: old.adminKey },
  });
  scenario.servers.push(scenario.server);
  expect(scenario.server.url).toBe(old.url);
}

/** A new build after the outage is claimed and completed by one of the agents, its log exact. */
async function expectNextBuildRuns(scenario: Scenario): Promise<void> {
  const [id] = await submitBuilds(scenario, 1, { lines: '40' });
  await expectCompletedWithExactLogs(scenario, [id!], 40);
  // The agent prints its line once the completion's answer reached it: after the server recorded it.
  await eventually(
    async () => scenario.agents.some((agent) => agent.lines().some((line) => line.includes(`build ${id} completed`))) || undefined,
    10_000,
    `an agent to print that build ${id} completed`,
  );
}

it(
  'every agent survives a server graceful stop (SIGTERM) and then a SIGKILL, each followed by a restart mid-run: builds complete, logs are exact, the next build runs',
  () =>
    withFleet(async (scenario) => {
      for (const how of ['stop', 'kill'] as const) {
        const buildIds = await submitBuilds(scenario, 3);
        await waitUntilMidRun(buildIds);
        const linesBefore = scenario.agents.map((agent) => agent.lines().length);
        await restartServer(scenario, how, buildIds);
        // Each agent reconnects by itself to the server at the same address.
        await Promise.all(scenario.agents.map((agent, n) => waitForLineAfter(agent, linesBefore[n]!, /connected to /)));
        await expectCompletedWithExactLogs(scenario, buildIds, LONG_BUILD_LINES);
      }
      await expectNextBuildRuns(scenario);
    }),
  SCENARIO_TIMEOUT_MS,
);

/**
 * Cuts every database connection of the server while some of its statements are mid-way: the
 * builds' rows are locked so the server's next log appends and heartbeats for them wait, and once
 * one waits every backend but this one is terminated (then the lock is released). Returns how
 * many backends were terminated and how many were waiting on the lock.
 */
async function loseConnectionsMidStatement(databaseUrl: string, buildIds: string[]): Promise<{ terminated: number; waiting: number }> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM "Build" WHERE id = ANY($1::uuid[]) FOR UPDATE`, [buildIds]);
    const waiting = await eventually(
      async () => {
        const { rows } = await holder.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0]!.waiting > 0 ? rows[0]!.waiting : undefined;
      },
      // Agents back off after each loss (exponentially, with jitter), so the next append or heartbeat
      // (every 5 s here) may come a while after the previous round.
      30_000,
      'a statement of the server waiting on the locked builds',
    );
    const { rowCount } = await holder.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return { terminated: rowCount ?? 0, waiting };
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
}

it(
  'every agent survives its server losing every database connection three times mid-run: builds complete, logs are exact, the next build runs',
  () =>
    withFleet(async (scenario) => {
      const buildIds = await submitBuilds(scenario, 3);
      await waitUntilMidRun(buildIds);
      for (let round = 1; round <= 3; round++) {
        if (round > 1) await new Promise((resolve) => setTimeout(resolve, 1000));
        const lost = await loseConnectionsMidStatement(scenario.database.url, buildIds);
        expect(lost.terminated, `backends terminated in round ${round}`).toBeGreaterThan(0);
        // The first loss came mid-run; the builds (~6 s) may end before a slow machine's third.
        if (round === 1) await expectStillPrinting(buildIds);
      }
      // The statements cut mid-way were answered UNAVAILABLE to the agents, which sent them again.
      expect(scenario.server.logs().some((line) => line.includes('"database unavailable"'))).toBe(true);
      // An outage is expected: it is logged as warnings, not as errors an operator is paged for.
      expect(scenario.server.logs().filter((line) => line.includes('"level":50'))).toEqual([]);
      await expectCompletedWithExactLogs(scenario, buildIds, LONG_BUILD_LINES);
      await expectNextBuildRuns(scenario);
      expect(scenario.server.exited()).toBeUndefined();
    }),
  SCENARIO_TIMEOUT_MS,
);
