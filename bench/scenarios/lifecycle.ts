// (a) Lifecycle throughput on one server: source upload → submit → jobAvailable → claim → heartbeat
// → one log batch → RESULT upload → complete, with 1, 10 and 50 agents (50: the median of three runs),
// and with 50 agents sending their operations over HTTP.
import { type OperationTransport, Recorder } from '../lib/agent.ts';
import { type BenchContext, describeCpu, prepareServer, type ScenarioResult, startFleet, stopFleet } from '../lib/fleet.ts';
import { LIFECYCLE_SUBMITTERS, type LifecycleFigures, measureLifecycle } from '../lib/measure.ts';

export async function lifecycleScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const database = await ctx.env.createDatabase('lifecycle');
  const server = await ctx.env.startServer(database);
  const handle = await prepareServer(server);
  // The target's run (50 workers) is repeated and its median kept: identical runs on this shared
  // 2-core machine differ by ±15 %. It is preceded by a run that is not counted (the first of
  // three was always the slowest, by 15–20 %: a server that has run for a while is what users have).
  // The last run is the target's with the agents' operations sent as HTTP requests, as the bundled
  // agent sends them (the others send them over each agent's socket).
  const runs: { workers: number; builds: number; repeat: number; warmUp?: boolean; operations?: OperationTransport }[] = ctx.quick
    ? [
        { workers: 1, builds: 30, repeat: 1 },
        { workers: 10, builds: 100, repeat: 1 },
        { workers: 50, builds: 250, repeat: 1 },
      ]
    : [
        { workers: 1, builds: 100, repeat: 1 },
        { workers: 10, builds: 400, repeat: 1 },
        { workers: 50, builds: 1500, repeat: 3, warmUp: true },
        { workers: 50, builds: 1500, repeat: 1, operations: 'http' },
      ];
  const figures: (LifecycleFigures & { operations: OperationTransport })[] = [];
  try {
    for (const run of runs) {
      const repeats: LifecycleFigures[] = [];
      for (let attempt = run.warmUp ? 0 : 1; attempt <= run.repeat; attempt++) {
        ctx.log(
          `lifecycle: ${run.workers} worker(s)${run.operations === 'http' ? ' (operations over HTTP)' : ''}, ${run.builds} builds (${attempt === 0 ? 'warm-up, not counted' : `run ${attempt} of ${run.repeat}`})`,
        );
        const recorder = new Recorder();
        const agents = await startFleet([handle], run.workers, recorder, { operations: run.operations });
        try {
          const measured = await measureLifecycle(ctx, [handle], agents, recorder, run.builds, {
            submitConcurrency: Math.min(LIFECYCLE_SUBMITTERS, Math.max(2, run.workers)),
            timeoutMs: 180_000,
          });
          if (attempt > 0) repeats.push(measured);
        } finally {
          await stopFleet(agents);
        }
      }
      figures.push({ ...medianRun(repeats), operations: run.operations ?? 'socket' });
    }
  } finally {
    await ctx.env.stopServer(server);
    await database.drop();
  }
  const fifty = figures.find((entry) => entry.workers === 50 && entry.operations === 'socket');
  return {
    rows: figures.map((entry) =>
      lifecycleRow(
        `(a) lifecycle, ${entry.workers} worker${entry.workers === 1 ? '' : 's'}, 1 server${entry.operations === 'http' ? ', operations over HTTP' : ''}`,
        entry,
      ),
    ),
    targets: fifty
      ? [
          {
            name: 'lifecycle, 50 workers, one server',
            measured: fifty.buildsPerSecond,
            unit: 'builds/s',
            target: '≥ 250',
            ok: fifty.buildsPerSecond >= 250 && fifty.completed === fifty.builds,
            anchor: { key: 'graphileJobsPerSecond', kind: 'rate' },
          },
        ]
      : [],
    raw: { runs: figures },
  };
}

/**
 * The run with the median throughput, with every run's throughput beside it; `completed` is the
 * fewest any run completed, so one incomplete run shows.
 */
function medianRun(runs: LifecycleFigures[]): LifecycleFigures {
  const sorted = [...runs].sort((a, b) => a.buildsPerSecond - b.buildsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  if (runs.length === 1) return median;
  return {
    ...median,
    completed: Math.min(...runs.map((run) => run.completed)),
    runsBuildsPerSecond: runs.map((run) => run.buildsPerSecond),
  };
}

export function lifecycleRow(scenario: string, entry: LifecycleFigures) {
  const incomplete = entry.completed < entry.builds ? ` INCOMPLETE ${entry.completed}/${entry.builds}` : '';
  const runs = entry.runsBuildsPerSecond
    ? `median of ${entry.runsBuildsPerSecond.length} runs (${entry.runsBuildsPerSecond.join(', ')}); `
    : '';
  return {
    scenario,
    result: `${entry.buildsPerSecond} builds/s${incomplete}`,
    details:
      `${runs}${entry.builds} builds in ${entry.seconds} s, source uploads counted; uploads+submits ${entry.submitsPerSecond}/s ×${entry.submitConcurrency}; ` +
      `queue wait p50 ${entry.queueWaitMs.p50} ms; null claims ${formatNulls(entry.nullClaims)}; CPU ${describeCpu(entry.cpuPercent)}; ` +
      `event loop ${entry.eventLoopUsPerBuild} µs per build` +
      (entry.errors.length ? `; ${entry.errors.length} errors: ${entry.errors[0]}` : ''),
  };
}

export function formatNulls(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([trigger, count]) => `${trigger} ${count}`)
      .join(', ') || 'none'
  );
}
