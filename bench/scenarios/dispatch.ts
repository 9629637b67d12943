// (b) Dispatch latency, submit → claimed, with 50 idle subscribed agents on one server: one build
// at a time, each run to completion before the next is submitted.
import { Recorder } from '../lib/agent.ts';
import { type BenchContext, describeCpu, prepareServer, type ScenarioResult, startFleet, stopFleet, type TableRow } from '../lib/fleet.ts';
import { type DispatchFigures, measureDispatch } from '../lib/measure.ts';
import { formatNulls } from './lifecycle.ts';

const WORKERS = 50;

export async function dispatchScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const database = await ctx.env.createDatabase('dispatch');
  const server = await ctx.env.startServer(database);
  let figures: DispatchFigures;
  let afterReconnect: DispatchFigures;
  try {
    const handle = await prepareServer(server);
    const recorder = new Recorder();
    const agents = await startFleet([handle], WORKERS, recorder);
    try {
      for (const agent of agents) agent.startTimer();
      ctx.log(`dispatch: ${WORKERS} idle subscribed workers, one build at a time`);
      figures = await measureDispatch(ctx, [handle], agents, recorder, { samples: ctx.quick ? 30 : 200, warmUp: ctx.quick ? 5 : 10 });
    } finally {
      await stopFleet(agents);
    }
    // The same fleet size after every agent reconnected (a fleet restart, a network blip): the
    // closed sockets' subscriptions must not keep receiving wake-ups meant for live workers.
    ctx.log(`dispatch: again after all ${WORKERS} workers reconnected`);
    const reconnectedRecorder = new Recorder();
    const reconnected = await startFleet([handle], WORKERS, reconnectedRecorder);
    try {
      for (const agent of reconnected) agent.startTimer();
      afterReconnect = await measureDispatch(ctx, [handle], reconnected, reconnectedRecorder, { samples: ctx.quick ? 20 : 50, warmUp: 0 });
    } finally {
      await stopFleet(reconnected);
    }
  } finally {
    await ctx.env.stopServer(server);
    await database.drop();
  }
  const unwoken = afterReconnect.raw.filter((sample) => sample.wakeUps === 0).length;
  return {
    rows: [
      dispatchRow(`(b) dispatch latency, ${WORKERS} idle workers, 1 server`, figures),
      {
        ...dispatchRow(`(b) the same after all ${WORKERS} workers reconnected`, afterReconnect),
        result: `${unwoken}/${afterReconnect.samples} builds woke nobody; p50 ${afterReconnect.latencyMs.p50} / p99 ${afterReconnect.latencyMs.p99} ms`,
      },
    ],
    targets: dispatchTargets(figures, ''),
    raw: { ...figures, afterReconnect: { ...afterReconnect, buildsThatWokeNobody: unwoken } } as unknown as Record<string, unknown>,
  };
}

export function dispatchRow(scenario: string, figures: DispatchFigures): TableRow {
  const latency = figures.latencyMs;
  return {
    scenario,
    result: `p50 ${latency.p50} / p95 ${latency.p95} / p99 ${latency.p99} ms`,
    details:
      `submit answer → claim answer over ${figures.samples} builds (max ${latency.max} ms; from submit sent: p50 ${figures.endToEndMs.p50} ` +
      `p99 ${figures.endToEndMs.p99} ms); claimed after ${Object.entries(figures.claimedByTrigger)
        .map(([trigger, count]) => `${trigger} ${count}`)
        .join(', ')}; ` +
      `wake-ups per build p50 ${figures.wakeUpsPerBuild.p50} max ${figures.wakeUpsPerBuild.max}; null claims ${formatNulls(figures.nullClaims)}; ` +
      `CPU ${describeCpu(figures.cpuPercent)}` +
      (figures.errors.length ? `; ${figures.errors.length} errors: ${figures.errors[0]}` : ''),
  };
}

export function dispatchTargets(figures: DispatchFigures, suffix: string) {
  return [
    {
      name: `dispatch p50, 50 idle workers${suffix}`,
      measured: figures.latencyMs.p50,
      unit: 'ms',
      target: '≤ 10',
      ok: figures.latencyMs.p50 <= 10,
      anchor: { key: 'graphileLatencyP50' as const, kind: 'latency' as const },
    },
    {
      name: `dispatch p99, 50 idle workers${suffix}`,
      measured: figures.latencyMs.p99,
      unit: 'ms',
      target: '≤ 50',
      ok: figures.latencyMs.p99 <= 50,
      anchor: { key: 'graphileLatencyP99' as const, kind: 'latency' as const },
    },
  ];
}
