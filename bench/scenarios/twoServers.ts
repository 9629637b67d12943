// (d) Two server processes on one database (sharing the signing secret, the encryption key and
// the artifact directory, as servers behind one load balancer would share object storage):
// workers split across both, submits alternate. Lifecycle with 50 workers, then dispatch latency.
import { Recorder } from '../lib/agent.ts';
import { type BenchContext, prepareServer, type ScenarioResult, startFleet, stopFleet } from '../lib/fleet.ts';
import { type DispatchFigures, type LifecycleFigures, measureDispatch, measureLifecycle, LIFECYCLE_SUBMITTERS } from '../lib/measure.ts';
import { dispatchRow, dispatchTargets } from './dispatch.ts';
import { lifecycleRow } from './lifecycle.ts';

const WORKERS = 50;

export async function twoServersScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const database = await ctx.env.createDatabase('two_servers');
  const dataDir = await ctx.env.sharedDataDir();
  // One after the other: the first migrates the database.
  const first = await ctx.env.startServer(database, {}, dataDir);
  const second = await ctx.env.startServer(database, {}, dataDir);
  let lifecycle: LifecycleFigures;
  let dispatch: DispatchFigures;
  try {
    // Keys are rows in the shared database: the ones made on the first server work on the second.
    const firstHandle = await prepareServer(first);
    const handles = [firstHandle, await prepareServer(second, firstHandle)];

    // One fleet for both measurements, as a real one: it runs the lifecycle, then idles for dispatch.
    ctx.log(`twoServers: lifecycle, ${WORKERS} workers split over 2 servers`);
    const recorder = new Recorder();
    const agents = await startFleet(handles, WORKERS, recorder);
    try {
      lifecycle = await measureLifecycle(ctx, handles, agents, recorder, ctx.quick ? 250 : 1500, {
        submitConcurrency: LIFECYCLE_SUBMITTERS,
        timeoutMs: 180_000,
      });
      ctx.log(`twoServers: dispatch latency, the same ${WORKERS} workers idle, submits alternate`);
      dispatch = await measureDispatch(ctx, handles, agents, recorder, { samples: ctx.quick ? 30 : 150, warmUp: ctx.quick ? 5 : 10 });
    } finally {
      await stopFleet(agents);
    }
  } finally {
    await Promise.all([ctx.env.stopServer(first), ctx.env.stopServer(second)]);
    await database.drop();
  }
  // Agent i talks to server i mod 2; a sample crossed servers when the claiming agent's server is not the submit's.
  const crossed = dispatch.raw.filter((sample) => sample.claimedBy % 2 !== sample.server).length;
  return {
    rows: [
      lifecycleRow(`(d) lifecycle, ${WORKERS} workers, 2 servers`, lifecycle),
      {
        ...dispatchRow(`(d) dispatch latency, ${WORKERS} idle workers, 2 servers`, dispatch),
      },
    ].map((row, index) =>
      index === 1 ? { ...row, details: `${crossed}/${dispatch.samples} claimed through the other server; ${row.details}` } : row,
    ),
    targets: [
      {
        name: 'lifecycle, 50 workers, two servers (reported beside)',
        measured: lifecycle.buildsPerSecond,
        unit: 'builds/s',
        target: '≥ 250',
        ok: lifecycle.buildsPerSecond >= 250 && lifecycle.completed === lifecycle.builds,
        anchor: { key: 'graphileJobsPerSecond', kind: 'rate' },
        note: 'the issue asks for this figure beside the one-server one',
      },
      ...dispatchTargets(dispatch, ', two servers'),
    ],
    raw: { lifecycle, dispatch, crossedServers: crossed },
  };
}
