// The real agent (`node worker/dist/free-agent.mjs worker`, built from the current source) against a
// real server: (1) log throughput of one build that prints as fast as it can, with the agent's peak
// RSS; (2) latency from a line printed by a build to its arrival at a `buildLogAppended`
// subscriber, with 50 chatty builds at once; (3) an idle registered agent's CPU and RSS.
// Process figures come from /proc (bench/lib/proc.ts), as in every scenario: `ps -o time=` counts
// whole seconds, too coarse for an idle agent over 10 s, and spawning `ps` 10 times a second would
// itself take CPU from the agent being measured on this 2-core machine.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AgentProcess, startAgent, stopAllAgents } from '../../test/helpers/agent.ts';
import { buildAgentBundle } from '../../test/helpers/agentBundle.ts';
import { adminQuery, makeTempDir } from '../../test/helpers/postgresCluster.ts';
import { submitBuild, uploadBytes } from '../lib/api.ts';
import { type BenchContext, cpuMeter, describeCpu, prepareServer, type ScenarioResult, type ServerHandle } from '../lib/fleet.ts';
import { cpuSeconds, rssKiB } from '../lib/proc.ts';
import { round, sleep, summarize, type Summary, waitFor } from '../lib/stats.ts';
import { openSocket } from '../lib/ws.ts';

const RSS_SAMPLE_MS = 100;
const BUILD_TIMEOUT_MS = 180_000;

interface Sizes {
  /** Lines the throughput build prints. */
  throughputLines: number;
  chattyAgents: number;
  chattyConcurrency: number;
  /** How long each chatty build prints, and the pause between its lines (ms). */
  chattyMs: number;
  chattyEveryMs: number;
  /** Quiet time after the idle agent connected, then the window its CPU is measured over (ms). */
  idleSettleMs: number;
  idleWindowMs: number;
}

const FULL: Sizes = {
  throughputLines: 200_000,
  chattyAgents: 5,
  chattyConcurrency: 10,
  chattyMs: 10_000,
  chattyEveryMs: 20,
  idleSettleMs: 3000,
  idleWindowMs: 10_000,
};
const QUICK: Sizes = {
  ...FULL,
  throughputLines: 50_000,
  chattyAgents: 2,
  chattyConcurrency: 5,
  chattyMs: 5000,
  idleSettleMs: 1000,
  idleWindowMs: 5000,
};

interface IdleFigures {
  seconds: number;
  cpuPercent: number;
  rssMiB: { mean: number; max: number };
}

interface ThroughputFigures {
  lines: number;
  /** From the agent's `claimed build` line to its `build … completed` line (its own timestamps). */
  seconds: number;
  linesPerSecond: number;
  storedLines: number;
  peakRssMiB: number;
  rssSamples: number;
  cpuPercent: Record<string, number>;
}

interface LatencyFigures {
  agents: number;
  builds: number;
  linesPrinted: number;
  linesReceived: number;
  /** Line printed (the build's Date.now()) → its batch arrived at the subscriber (ms). */
  latencyMs: Summary;
  /** The same per second of the run (by when the line was printed, from the first agent's start). */
  bySecond: { second: number; lines: number; p50: number; p99: number }[];
  seconds: number;
  cpuPercent: Record<string, number>;
  errors: string[];
}

export async function agentScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const sizes = ctx.quick ? QUICK : FULL;
  ctx.log('agent: building worker/dist/free-agent.mjs');
  buildAgentBundle();
  const database = await ctx.env.createDatabase('agent');
  const server = await ctx.env.startServer(database);
  const sourceDir = await makeTempDir('free-agent-test-bench-agent-');
  let idle: IdleFigures;
  let throughput: ThroughputFigures;
  let latency: LatencyFigures;
  try {
    const handle = await prepareServer(server);
    const awk = `awk 'BEGIN{for(i=1;i<=${sizes.throughputLines};i++)print "line " i}' && echo done > "$FREE_AGENT_RESULT"`;
    const agent = await startAgent({ serverUrl: server.url, key: handle.workerKey, command: awk, name: 'bench-throughput' });
    await agent.waitForLine(/ connected to /);

    ctx.log(`agent: one idle agent for ${sizes.idleWindowMs / 1000} s`);
    await sleep(sizes.idleSettleMs);
    idle = await measureIdle(agent.pid, sizes.idleWindowMs);

    ctx.log(`agent: one build printing ${sizes.throughputLines} lines`);
    const emptySource = await sourceArchive(sourceDir, 'empty', { 'README.txt': 'bench\n' });
    throughput = await measureThroughput(ctx, handle, agent, emptySource, sizes.throughputLines, database.url);
    await agent.stop();

    const builds = sizes.chattyAgents * sizes.chattyConcurrency;
    ctx.log(`agent: ${builds} builds printing a line every ${sizes.chattyEveryMs} ms for ${sizes.chattyMs / 1000} s`);
    const chattySource = await sourceArchive(sourceDir, 'chatty', { 'chatty.pl': chattyScript(sizes.chattyMs, sizes.chattyEveryMs) });
    latency = await measureLatency(ctx, handle, chattySource, sizes, database.url);
  } finally {
    await stopAllAgents();
    await rm(sourceDir, { recursive: true, force: true });
    await ctx.env.stopServer(server);
    await database.drop();
  }

  const rssTarget = 150;
  return {
    rows: [
      {
        scenario: 'agent: log throughput, 1 build',
        result: `${throughput.linesPerSecond} lines/s`,
        details:
          `${throughput.lines} lines printed by awk in ${throughput.seconds} s (claimed → completed, log flushed first); ` +
          `${throughput.storedLines} stored, in order; agent peak RSS ${throughput.peakRssMiB} MiB ` +
          `(${throughput.rssSamples} samples, every ${RSS_SAMPLE_MS} ms); CPU ${describeCpu(throughput.cpuPercent)}`,
      },
      {
        scenario: `agent: log line → subscriber, ${latency.builds} builds`,
        result: `p50 ${latency.latencyMs.p50} p99 ${latency.latencyMs.p99} ms`,
        details:
          `${latency.agents} agents × ${latency.builds / latency.agents} builds, each a line every ${sizes.chattyEveryMs} ms for ` +
          `${sizes.chattyMs / 1000} s; ${latency.linesReceived} of ${latency.linesPrinted} stored lines reached the buildLogAppended ` +
          `subscriber; max ${latency.latencyMs.max} ms; ${latency.seconds} s; CPU ${describeCpu(latency.cpuPercent)}` +
          (latency.errors.length > 0 ? `; errors: ${latency.errors.slice(0, 3).join(' | ')}` : ''),
      },
      {
        scenario: 'agent: idle, registered and connected',
        result: `${idle.cpuPercent}% CPU, ${idle.rssMiB.mean} MiB`,
        details: `over ${idle.seconds} s after ${sizes.idleSettleMs / 1000} s of quiet; RSS max ${idle.rssMiB.max} MiB; CPU as % of one core`,
      },
    ],
    targets: [
      {
        name: 'agent log throughput, 1 build',
        measured: throughput.linesPerSecond,
        unit: 'lines/s',
        target: '≥ 20000',
        ok: throughput.linesPerSecond >= 20_000,
      },
      {
        name: 'agent peak RSS while streaming it',
        measured: throughput.peakRssMiB,
        unit: 'MiB',
        target: `< ${rssTarget}`,
        ok: throughput.peakRssMiB < rssTarget,
      },
      {
        name: `agent log line → subscriber p99, ${latency.builds} builds`,
        measured: latency.latencyMs.p99,
        unit: 'ms',
        target: '≤ 1000',
        ok: latency.latencyMs.p99 <= 1000 && latency.linesReceived === latency.linesPrinted && latency.errors.length === 0,
        note:
          latency.linesReceived !== latency.linesPrinted
            ? 'not every stored line reached the subscriber'
            : latency.errors.length > 0
              ? 'errors (see its row)'
              : undefined,
      },
    ],
    raw: { sizes, idle, throughput, latency },
  };
}

/** CPU (% of one core) and RSS of the process `pid` over `windowMs` in which nothing is asked of it. */
async function measureIdle(pid: number, windowMs: number): Promise<IdleFigures> {
  const sampler = new RssSampler(pid);
  const cpuBefore = cpuSeconds(pid);
  const startedAt = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const samples = sampler.stop();
  return {
    seconds: round(seconds, 1),
    cpuPercent: round((cpu / seconds) * 100, 1),
    rssMiB: {
      mean: round(samples.reduce((sum, kib) => sum + kib, 0) / samples.length / 1024, 1),
      max: round(Math.max(...samples) / 1024, 1),
    },
  };
}

/**
 * Submits one build to the connected `agent`, whose command prints `lines` lines, and times it
 * from the agent's `claimed build` line to its `build … completed` line (the agent reports a build
 * only once every line is acknowledged). Then checks in the database that the command's lines are
 * all stored, in order. Throws if the build fails or a line is missing or out of place.
 */
async function measureThroughput(
  ctx: BenchContext,
  handle: ServerHandle,
  agent: AgentProcess,
  source: Buffer,
  lines: number,
  databaseUrl: string,
): Promise<ThroughputFigures> {
  const sourceUploadId = await uploadBytes(handle.submitter, 'SOURCE', source);
  const sampler = new RssSampler(agent.pid);
  const meter = cpuMeter(ctx.env, [handle.server], { agent: () => cpuSeconds(agent.pid) });
  const buildId = await submitBuild(handle.submitter, { platform: 'ANDROID', sourceUploadId });
  const claimed = await agent.waitForLine(new RegExp(`^(\\S+) claimed build ${buildId} `), 30_000);
  const finished = await agent.waitForLine(new RegExp(`^(\\S+) build ${buildId} (completed|failed: .*)$`), BUILD_TIMEOUT_MS);
  const cpu = meter.end();
  const rss = sampler.stop();
  if (finished[2] !== 'completed') throw new Error(`the throughput build failed: ${finished[2]}`);
  const seconds = (Date.parse(finished[1]!) - Date.parse(claimed[1]!)) / 1000;
  const storedLines = await checkStoredInOrder(databaseUrl, buildId, lines);
  return {
    lines,
    seconds: round(seconds, 2),
    linesPerSecond: round(lines / seconds, 0),
    storedLines,
    peakRssMiB: round(Math.max(...rss) / 1024, 1),
    rssSamples: rss.length,
    cpuPercent: cpu.percent,
  };
}

/** Reads the build's stdout lines (level INFO) in seq order; throws unless they are "line 1" … "line <count>". Returns how many there are. */
async function checkStoredInOrder(databaseUrl: string, buildId: string, count: number): Promise<number> {
  const rows = (await adminQuery(
    databaseUrl,
    `SELECT message FROM "BuildLog" WHERE "buildId" = $1 AND attempt = 1 AND level = 'INFO' ORDER BY seq`,
    [buildId],
  )) as { message: string }[];
  if (rows.length !== count) throw new Error(`the throughput build stored ${rows.length} of its ${count} lines`);
  rows.forEach((row, index) => {
    if (row.message !== `line ${index + 1}`)
      throw new Error(`stored line ${index + 1} of the throughput build is ${JSON.stringify(row.message)}`);
  });
  const [gaps] = (await adminQuery(
    databaseUrl,
    `SELECT count(*)::int AS lines, min(seq) AS first, max(seq) AS last FROM "BuildLog" WHERE "buildId" = $1 AND attempt = 1`,
    [buildId],
  )) as { lines: number; first: number; last: number }[];
  if (gaps!.first !== 1 || gaps!.last !== gaps!.lines) throw new Error(`the throughput build's seqs have gaps: ${JSON.stringify(gaps)}`);
  return rows.length;
}

/**
 * Submits the chatty builds, subscribes to each one's buildLogAppended on one console socket,
 * then starts the agents; every `t <ms>` line's latency is its arrival minus the time in it.
 * Resolves once every build completed and the subscriber has every stored line (or after a
 * grace period, counting what arrived).
 */
async function measureLatency(
  ctx: BenchContext,
  handle: ServerHandle,
  source: Buffer,
  sizes: Sizes,
  databaseUrl: string,
): Promise<LatencyFigures> {
  const builds = sizes.chattyAgents * sizes.chattyConcurrency;
  const buildIds: string[] = [];
  for (let index = 0; index < builds; index++) {
    const sourceUploadId = await uploadBytes(handle.submitter, 'SOURCE', source);
    buildIds.push(await submitBuild(handle.submitter, { platform: 'ANDROID', sourceUploadId }));
  }
  const latencies: number[] = [];
  const printedAt: number[] = [];
  const errors: string[] = [];
  const socket = openSocket(handle.endpoint.wsUrl, handle.submitterKey);
  const agents: AgentProcess[] = [];
  try {
    await socket.connected;
    for (const buildId of buildIds) {
      socket.client.subscribe<{ buildLogAppended: { lines: { message: string }[] } }>(
        { query: 'subscription ($id: ID!) { buildLogAppended(buildId: $id) { lines { message } } }', variables: { id: buildId } },
        {
          next: (result) => {
            const arrivedAt = Date.now();
            for (const line of result.data?.buildLogAppended.lines ?? []) {
              const printed = /^t (\d+)$/.exec(line.message);
              if (!printed) continue;
              latencies.push(arrivedAt - Number(printed[1]));
              printedAt.push(Number(printed[1]));
            }
            if (result.errors && errors.length < 10) errors.push(JSON.stringify(result.errors));
          },
          error: (error) =>
            void (errors.length < 10 && errors.push(`subscription ended: ${String((error as Error)?.message ?? JSON.stringify(error))}`)),
          complete: () => undefined,
        },
      );
    }
    // graphql-ws does not acknowledge a subscription: give the server a moment to register them.
    await sleep(500);

    const command = 'perl chatty.pl';
    const meter = cpuMeter(ctx.env, [handle.server], {
      agents: () => agents.reduce((sum, agent) => sum + cpuSeconds(agent.pid), 0),
    });
    const startedAt = performance.now();
    const startedAtEpoch = Date.now();
    for (let index = 0; index < sizes.chattyAgents; index++) {
      agents.push(
        await startAgent({
          serverUrl: handle.server.url,
          key: handle.workerKey,
          command,
          name: `bench-chatty-${index}`,
          args: ['--concurrency', String(sizes.chattyConcurrency)],
        }),
      );
    }
    const outcomes = () => {
      const found = new Map<string, string>();
      for (const agent of agents) {
        for (const line of agent.lines()) {
          const match = /^\S+ build (\S+) (completed|failed: .*|cancelled|handed back)$/.exec(line);
          if (match) found.set(match[1]!, match[2]!);
        }
      }
      return found;
    };
    await waitFor(() => outcomes().size >= builds, BUILD_TIMEOUT_MS, `${builds} chatty builds to finish`, 250);
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = meter.end();
    for (const [buildId, outcome] of outcomes())
      if (outcome !== 'completed' && errors.length < 10) errors.push(`build ${buildId} ${outcome}`);

    const [stored] = (await adminQuery(
      databaseUrl,
      `SELECT count(*)::int AS lines FROM "BuildLog" WHERE "buildId" = ANY($1::uuid[]) AND level = 'INFO' AND message LIKE 't %'`,
      [buildIds],
    )) as { lines: number }[];
    // The last batches are published after they are stored: wait a little for them to arrive.
    await waitFor(() => latencies.length >= stored!.lines, 5000, 'the last log batches at the subscriber', 20).catch(() => undefined);
    return {
      agents: sizes.chattyAgents,
      builds,
      linesPrinted: stored!.lines,
      linesReceived: latencies.length,
      latencyMs: summarize(latencies),
      bySecond: bySecond(latencies, printedAt, startedAtEpoch),
      seconds: round(seconds, 1),
      cpuPercent: cpu.percent,
      errors,
    };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    await socket.close();
  }
}

/** Latency percentiles per second of the run, by when each line was printed. */
function bySecond(latencies: number[], printedAt: number[], startedAt: number): LatencyFigures['bySecond'] {
  const buckets: number[][] = [];
  latencies.forEach((latency, index) => {
    const second = Math.max(0, Math.floor((printedAt[index]! - startedAt) / 1000));
    (buckets[second] ??= []).push(latency);
  });
  return buckets.flatMap((bucket, second) => {
    if (!bucket) return [];
    const summary = summarize(bucket);
    return [{ second, lines: bucket.length, p50: summary.p50, p99: summary.p99 }];
  });
}

/**
 * A Perl script that prints `t <epoch ms>` every `everyMs` for `durationMs` (unbuffered), then
 * writes the result file. Perl rather than node: 50 node processes at once took a whole core of
 * this 2-core machine (start-up and timers), starving the agents and the server being measured;
 * 50 perl processes take about a tenth of that.
 */
function chattyScript(durationMs: number, everyMs: number): string {
  return `use strict;
use Time::HiRes qw(time sleep);
$| = 1;
my $end = time + ${durationMs / 1000};
while (time < $end) {
  printf "t %.0f\n", time * 1000;
  sleep ${everyMs / 1000};
}
open(my $result, '>', $ENV{FREE_AGENT_RESULT}) or die "cannot write the result: $!";
print $result "done\n";
close($result) or die "cannot write the result: $!";
`;
}

/** A .tar.gz of `files` (name → content), made with the system's tar as a submitter would. */
async function sourceArchive(tempDir: string, name: string, files: Record<string, string>): Promise<Buffer> {
  const directory = path.join(tempDir, name);
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory);
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(directory, file), content);
  return execFileSync('tar', ['-czf', '-', '-C', directory, '.']);
}

/** Samples a process's RSS (KiB) every RSS_SAMPLE_MS until stopped. */
class RssSampler {
  readonly #samples: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number) {
    const sample = () => {
      try {
        this.#samples.push(rssKiB(pid));
      } catch {
        // It exited: nothing more to sample.
      }
    };
    sample();
    this.#timer = setInterval(sample, RSS_SAMPLE_MS);
  }

  /** Stops sampling; returns every sample (KiB). */
  stop(): number[] {
    clearInterval(this.#timer);
    return this.#samples;
  }
}
