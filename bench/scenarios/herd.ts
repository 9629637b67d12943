// (e) Wasted claim attempts with 200 idle subscribed workers: single builds submitted one at a
// time (each run to completion before the next), then a burst of 50 at once. A claim that answers
// null is wasted; the ones a wake-up triggered are what the dispatcher controls (thundering
// herd), the slow timer's and the claim-after-finish ones are counted beside them.
import { type ClaimRecord, Recorder } from '../lib/agent.ts';
import {
  type BenchContext,
  cpuMeter,
  describeCpu,
  prepareServer,
  preUploadSources,
  type ScenarioResult,
  startFleet,
  stopFleet,
  submitOne,
  type Submission,
} from '../lib/fleet.ts';
import { countNullClaims } from '../lib/measure.ts';
import { median, round, sleep, summarize, waitFor } from '../lib/stats.ts';
import { formatNulls } from './lifecycle.ts';

const WORKERS = 200;

interface BuildWaste {
  buildId: string;
  /** Null claims triggered by wake-ups for this build (named by the wake-up, or in its window). */
  wakeNulls: number;
  /** Null claims of any kind (timer polls included) made while it was the build being dispatched. */
  allNulls: number;
  /** Wake-ups sent for it. */
  wakeUps: number;
  /** submit answer → claim answer, ms; every worker but a few was idle meanwhile. */
  waitMs: number;
}

export async function herdScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const singles = ctx.quick ? 10 : 40;
  const burst = ctx.quick ? 25 : 50;
  const database = await ctx.env.createDatabase('herd');
  const server = await ctx.env.startServer(database);
  const recorder = new Recorder();
  const singleWaste: BuildWaste[] = [];
  const burstWaste: BuildWaste[] = [];
  let burstFigures: Record<string, unknown> = {};
  let cpu: { percent: Record<string, number> } = { percent: {} };
  let timerNullsPerSecond = 0;
  try {
    const handle = await prepareServer(server);
    ctx.log(`herd: registering and subscribing ${WORKERS} workers`);
    const agents = await startFleet([handle], WORKERS, recorder);
    try {
      const upload = await preUploadSources([handle], singles + burst + 5);
      for (const agent of agents) agent.startTimer();
      // Warm-up (untimed): a few builds so the first measured one does not pay for JIT and pools.
      for (let index = 0; index < 5; index++) {
        const submission = await submitOne(handle, upload.ids[singles + burst + index]!);
        await waitFor(() => recorder.completedAt.has(submission.buildId), 10_000, 'a warm-up build');
      }
      await sleep(1500);
      const meter = cpuMeter(ctx.env, [server]);
      const measuredFrom = performance.now();
      const claimsFrom = recorder.claims.length;

      ctx.log(`herd: ${singles} single builds, one at a time`);
      for (let index = 0; index < singles; index++) {
        const windowStart = performance.now();
        const submission = await submitOne(handle, upload.ids[index]!);
        await waitFor(() => recorder.completedAt.has(submission.buildId), 10_000, `single build ${index}`, 1);
        // Let stray wake-ups for it land before the next build's window starts.
        await sleep(300 + Math.random() * 200);
        singleWaste.push(wasteOf(recorder, submission, (claim) => claim.sentAt >= windowStart));
      }

      ctx.log(`herd: a burst of ${burst} builds`);
      const burstStart = performance.now();
      let minIdle = WORKERS;
      const idleWatch = setInterval(() => {
        minIdle = Math.min(minIdle, agents.filter((agent) => agent.idle).length);
      }, 5);
      const submissions = await Promise.all(upload.ids.slice(singles, singles + burst).map((id) => submitOne(handle, id)));
      await waitFor(() => submissions.every((submission) => recorder.completedAt.has(submission.buildId)), 30_000, 'the burst to complete');
      clearInterval(idleWatch);
      await sleep(1500);
      const burstClaims = recorder.claims.filter((claim) => claim.sentAt >= burstStart);
      const burstIds = new Set(submissions.map((submission) => submission.buildId));
      // Wake-ups that name no build (re-checks) are shared out evenly over the burst.
      const unnamedWakeNulls = burstClaims.filter(
        (claim) => isWakeNull(claim) && (claim.wakeBuildId === null || !burstIds.has(claim.wakeBuildId)),
      ).length;
      for (const submission of submissions) {
        const waste = wasteOf(recorder, submission, (claim) => claim.sentAt >= burstStart && claim.wakeBuildId === submission.buildId);
        burstWaste.push({ ...waste, wakeNulls: waste.wakeNulls + unnamedWakeNulls / burst, allNulls: Number.NaN });
      }
      const burstNulls = countNullClaims(burstClaims);
      burstFigures = {
        builds: burst,
        nullClaims: burstNulls,
        unnamedWakeNulls,
        minIdleWorkersDuringBurst: minIdle,
        seconds: round(
          (Math.max(...submissions.map((submission) => recorder.completedAt.get(submission.buildId)!)) - burstStart) / 1000,
          2,
        ),
      };
      cpu = meter.end();
      const timerNulls = countNullClaims(recorder.claims.slice(claimsFrom)).timer ?? 0;
      timerNullsPerSecond = round(timerNulls / ((performance.now() - measuredFrom) / 1000), 1);
    } finally {
      await stopFleet(agents);
    }
  } finally {
    await ctx.env.stopServer(server);
    await database.drop();
  }

  const all = [...singleWaste, ...burstWaste];
  const wakeNulls = all.map((entry) => entry.wakeNulls);
  const medianWaste = round(median(wakeNulls), 2);
  const maxWaste = round(Math.max(...wakeNulls), 2);
  const maxWait = round(Math.max(...all.map((entry) => entry.waitMs)), 1);
  const singleWaits = summarize(singleWaste.map((entry) => entry.waitMs));
  const burstWaits = summarize(burstWaste.map((entry) => entry.waitMs));
  return {
    rows: [
      {
        scenario: `(e) wasted claims, ${WORKERS} idle workers, 1 server`,
        result: `median ${medianWaste} / max ${maxWaste} per build; max wait ${maxWait} ms`,
        details:
          `wake-triggered null claims per build over ${singleWaste.length} single builds (median ${median(singleWaste.map((entry) => entry.wakeNulls))}) ` +
          `and a burst of ${burstWaste.length} (median ${round(median(burstWaste.map((entry) => entry.wakeNulls)), 2)}); ` +
          `wake-ups per single build p50 ${median(singleWaste.map((entry) => entry.wakeUps))} max ${Math.max(...singleWaste.map((entry) => entry.wakeUps))}; ` +
          `all null claims per single build incl. timer polls p50 ${median(singleWaste.map((entry) => entry.allNulls))}; ` +
          `timer polls answered null at ${timerNullsPerSecond}/s (${WORKERS} workers every 2–3 s); ` +
          `wait submit→claim: singles p50 ${singleWaits.p50} p99 ${singleWaits.p99} ms, burst p50 ${burstWaits.p50} max ${burstWaits.max} ms ` +
          `(≥ ${(burstFigures as { minIdleWorkersDuringBurst?: number }).minIdleWorkersDuringBurst} workers idle throughout); burst nulls ` +
          `${formatNulls((burstFigures as { nullClaims?: Record<string, number> }).nullClaims ?? {})}; CPU ${describeCpu(cpu.percent)}` +
          (recorder.errors.length ? `; ${recorder.errors.length} errors: ${recorder.errors[0]}` : ''),
      },
    ],
    targets: [
      {
        name: 'wasted claims per build, 200 idle workers (median)',
        measured: medianWaste,
        unit: 'claims',
        target: '≤ 2',
        ok: medianWaste <= 2,
        note: 'null claims a wake-up triggered',
      },
      { name: 'longest wait with a capable worker idle', measured: maxWait, unit: 'ms', target: '≤ 1000', ok: maxWait <= 1000 },
    ],
    raw: {
      workers: WORKERS,
      singles: singleWaste,
      burst: burstWaste,
      burstFigures,
      timerNullsPerSecond,
      cpuPercent: cpu.percent,
      errors: recorder.errors,
    },
  };
}

function isWakeNull(claim: ClaimRecord): boolean {
  return claim.buildId === null && !claim.error && (claim.trigger === 'wake' || claim.trigger === 'rewake');
}

/** The waste and wait of one build from the claims `inWindow` selects. */
function wasteOf(recorder: Recorder, submission: Submission, inWindow: (claim: ClaimRecord) => boolean): BuildWaste {
  const claims = recorder.claims.filter(inWindow);
  const claimed = recorder.claimedAt.get(submission.buildId);
  return {
    buildId: submission.buildId,
    wakeNulls: claims.filter(isWakeNull).length,
    allNulls: claims.filter((claim) => claim.buildId === null && !claim.error).length,
    wakeUps: recorder.wakes.filter((wake) => wake.buildId === submission.buildId).length,
    waitMs: round((claimed?.at ?? Number.NaN) - submission.answeredAt, 1),
  };
}
