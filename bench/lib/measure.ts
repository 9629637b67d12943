// The two measurements several scenarios share: lifecycle throughput through a fleet of agents,
// and dispatch latency (submit → claimed) with idle subscribed agents.
import type { BenchAgent, ClaimRecord, Recorder, Step } from './agent.ts';
import type { BenchContext, ServerHandle, Submission } from './fleet.ts';
import { cpuMeter, eventLoopPercent, preUploadSources, submitOne, uploadAndSubmitAll } from './fleet.ts';
import { round, sleep, summarize, type Summary, waitFor } from './stats.ts';

/**
 * Concurrent submitters (each: createUpload, PUT, submitBuild) of a lifecycle run with 50 workers.
 * The offered load must exceed what the server completes, or the figure measures the submitters:
 * with 32 the queue never runs dry (no worker's claim after a build comes back empty before the
 * end), with 16 it did, and the server idled.
 */
export const LIFECYCLE_SUBMITTERS = 32;

export interface LifecycleFigures {
  workers: number;
  builds: number;
  completed: number;
  /** Builds per second from the first source upload started to the last build completed. */
  buildsPerSecond: number;
  /** When the run was repeated (this one being the median): every run's builds per second. */
  runsBuildsPerSecond?: number[];
  seconds: number;
  submitConcurrency: number;
  /** Builds per second through upload and submit (createUpload, PUT, submitBuild) while submitting. */
  submitsPerSecond: number;
  queueWaitMs: Summary;
  /** The servers' event loops' CPU per completed build, µs: what bounds one server's throughput. */
  eventLoopUsPerBuild: number;
  stepsMs: Record<Step, Summary>;
  nullClaims: Record<string, number>;
  cpuPercent: Record<string, number>;
  errors: string[];
}

/**
 * Uploads a source and submits a build with it, `builds` times (`submitConcurrency` at a time,
 * round-robin over the handles), while the agents run every build to completion: the clock runs
 * from the first upload to the last completion, as a user's build starts with its upload.
 */
export async function measureLifecycle(
  ctx: BenchContext,
  handles: ServerHandle[],
  agents: BenchAgent[],
  recorder: Recorder,
  builds: number,
  options: { submitConcurrency: number; timeoutMs: number },
): Promise<LifecycleFigures> {
  const claimsBefore = recorder.claims.length;
  const completedBefore = recorder.completedAt.size;
  const meter = cpuMeter(
    ctx.env,
    handles.map((handle) => handle.server),
  );
  const startedAt = performance.now();
  for (const agent of agents) agent.startTimer();
  let submissions: Submission[] = [];
  let submitSeconds = Number.NaN;
  try {
    submissions = await uploadAndSubmitAll(handles, builds, options.submitConcurrency);
    submitSeconds = (performance.now() - startedAt) / 1000;
    const done = () => recorder.completedAt.size - completedBefore;
    await waitFor(() => done() >= builds, options.timeoutMs, `${builds} builds to complete (${done()} did)`, 10);
  } catch (error) {
    recorder.error((error as Error).message);
  }
  const cpu = meter.end();
  const completions = submissions.map((submission) => recorder.completedAt.get(submission.buildId)).filter((at) => at !== undefined);
  const seconds = (Math.max(...completions) - startedAt) / 1000;
  const doneCount = completions.length;
  const waits = submissions
    .map((submission) => (recorder.claimedAt.get(submission.buildId)?.at ?? Number.NaN) - submission.answeredAt)
    .filter(Number.isFinite);
  const claims = recorder.claims.slice(claimsBefore);
  return {
    workers: agents.length,
    builds,
    completed: doneCount,
    buildsPerSecond: round(doneCount / seconds, 1),
    seconds: round(seconds, 2),
    submitConcurrency: options.submitConcurrency,
    submitsPerSecond: round(submissions.length / submitSeconds, 1),
    queueWaitMs: summarize(waits),
    eventLoopUsPerBuild: round((eventLoopPercent(cpu.percent) * cpu.seconds * 1e4) / doneCount, 0),
    stepsMs: Object.fromEntries(Object.entries(recorder.steps).map(([step, values]) => [step, summarize(values)])) as Record<Step, Summary>,
    nullClaims: countNullClaims(claims),
    cpuPercent: cpu.percent,
    errors: [...recorder.errors],
  };
}

/** Null claim answers by what triggered the claim. */
export function countNullClaims(claims: ClaimRecord[]): Record<string, number> {
  const counts: Record<string, number> = { wake: 0, rewake: 0, timer: 0, 'after-finish': 0, errors: 0 };
  for (const claim of claims) {
    if (claim.error) counts.errors! += 1;
    else if (claim.buildId === null) counts[claim.trigger] = (counts[claim.trigger] ?? 0) + 1;
  }
  return counts;
}

export interface DispatchSample {
  buildId: string;
  server: number;
  /** submit answer → claim answer, ms. */
  latencyMs: number;
  /** submit sent → claim answer, ms. */
  endToEndMs: number;
  claimedBy: number;
  trigger: string;
  /** Workers woken for this build (wake-ups naming it). */
  wakeUps: number;
}

export interface DispatchFigures {
  workers: number;
  samples: number;
  warmUp: number;
  latencyMs: Summary;
  endToEndMs: Summary;
  claimedByTrigger: Record<string, number>;
  wakeUpsPerBuild: Summary;
  nullClaims: Record<string, number>;
  cpuPercent: Record<string, number>;
  raw: DispatchSample[];
  errors: string[];
}

/**
 * Submits one build at a time (round-robin over the handles), waits until it was claimed and
 * completed, pauses 20–60 ms, and so on. The agents must be connected and have their timers running.
 */
export async function measureDispatch(
  ctx: BenchContext,
  handles: ServerHandle[],
  agents: BenchAgent[],
  recorder: Recorder,
  options: { samples: number; warmUp: number },
): Promise<DispatchFigures> {
  const total = options.samples + options.warmUp;
  const upload = await preUploadSources(handles, total);
  const samples: DispatchSample[] = [];
  let meter: ReturnType<typeof cpuMeter> | undefined;
  let claimsBefore = recorder.claims.length;
  for (let index = 0; index < total; index++) {
    if (index === options.warmUp) {
      meter = cpuMeter(
        ctx.env,
        handles.map((handle) => handle.server),
      );
      claimsBefore = recorder.claims.length;
    }
    const server = index % handles.length;
    let submission: Submission;
    try {
      submission = await submitOne(handles[server]!, upload.ids[index]!, server);
      await waitFor(() => recorder.completedAt.has(submission.buildId), 10_000, `build ${index} to be claimed and completed`, 1);
    } catch (error) {
      recorder.error((error as Error).message);
      continue;
    }
    const claimed = recorder.claimedAt.get(submission.buildId)!;
    if (index >= options.warmUp) {
      samples.push({
        buildId: submission.buildId,
        server,
        latencyMs: round(claimed.at - submission.answeredAt),
        endToEndMs: round(claimed.at - submission.sentAt),
        claimedBy: claimed.worker,
        trigger: claimed.trigger,
        wakeUps: recorder.wakes.filter((wake) => wake.buildId === submission.buildId).length,
      });
    }
    await sleep(20 + Math.random() * 40);
  }
  const cpu = meter?.end() ?? { percent: {} };
  const claimedByTrigger: Record<string, number> = {};
  for (const sample of samples) claimedByTrigger[sample.trigger] = (claimedByTrigger[sample.trigger] ?? 0) + 1;
  return {
    workers: agents.length,
    samples: samples.length,
    warmUp: options.warmUp,
    latencyMs: summarize(samples.map((sample) => sample.latencyMs)),
    endToEndMs: summarize(samples.map((sample) => sample.endToEndMs)),
    claimedByTrigger,
    wakeUpsPerBuild: summarize(samples.map((sample) => sample.wakeUps)),
    nullClaims: countNullClaims(recorder.claims.slice(claimsBefore)),
    cpuPercent: cpu.percent,
    raw: samples,
    errors: [...recorder.errors],
  };
}
