// Claim throughput through GraphQL on a deep queue: builds are submitted first (through the API),
// then 50 claimers call claimBuild as fast as they can until the queue is empty, each over its
// worker's socket, as agents claim.
import { adminQuery } from '../../test/helpers/postgresCluster.ts';
import { claimBuild, newSource, registerWorker, submitBuild, uploadBytes } from '../lib/api.ts';
import { type BenchContext, cpuMeter, describeCpu, prepareServer, type ScenarioResult } from '../lib/fleet.ts';
import { mapConcurrent, round, summarize } from '../lib/stats.ts';
import { openSocket, type Socket } from '../lib/ws.ts';

const CLAIMERS = 50;
const SUBMITTERS = 16;
/** A claimer holds every build it claims: its worker's concurrency is raised so it can go on claiming. */
const CLAIMER_CONCURRENCY = 1_000_000;

export async function claimsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const builds = ctx.quick ? 600 : 5000;
  const budgetSeconds = ctx.quick ? 20 : 75;
  const database = await ctx.env.createDatabase('claims');
  const server = await ctx.env.startServer(database);
  const sockets: Socket[] = [];
  try {
    const handle = await prepareServer(server);
    ctx.log(`claims: submitting up to ${builds} builds (at most ${budgetSeconds} s)`);
    // Each submit is a source upload (createUpload + PUT) and submitBuild, 16 at a time, until the
    // queue holds `builds` or the time budget is spent (a slow server still gets a deep queue).
    const submitStartedAt = performance.now();
    let submitted = 0;
    let started = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (started < builds && performance.now() - submitStartedAt < budgetSeconds * 1000) {
          started += 1;
          const sourceUploadId = await uploadBytes(handle.submitter, 'SOURCE', newSource());
          await submitBuild(handle.submitter, { platform: 'ANDROID', sourceUploadId });
          submitted += 1;
        }
      }),
    );
    const submitSeconds = (performance.now() - submitStartedAt) / 1000;

    const claimers = await mapConcurrent(
      Array.from({ length: CLAIMERS }, (_, index) => index),
      25,
      (index) => registerWorker(handle.registrar, { name: `claimer-${index}`, platforms: ['ANDROID'] }),
    );
    for (const claimer of claimers) {
      const socket = openSocket(handle.endpoint.wsUrl, claimer.token);
      sockets.push(socket);
      await socket.connected;
    }
    // No API sets a worker's concurrency; a benchmark may set it in the database.
    await adminQuery(database.url, `UPDATE "Worker" SET "maxConcurrentBuilds" = $1 WHERE id = ANY($2::uuid[])`, [
      CLAIMER_CONCURRENCY,
      claimers.map((claimer) => claimer.workerId),
    ]);

    ctx.log(`claims: ${CLAIMERS} claimers draining ${submitted} pending builds`);
    const latencies: number[] = [];
    const errors: string[] = [];
    let errorCount = 0;
    let claimed = 0;
    let nulls = 0;
    let lastClaimAt = 0;
    const meter = cpuMeter(ctx.env, [server]);
    const startedAt = performance.now();
    await Promise.all(
      sockets.map(async (socket) => {
        for (;;) {
          const sentAt = performance.now();
          let buildId: string | null;
          try {
            buildId = await claimBuild(socket.request);
          } catch (error) {
            errorCount += 1;
            if (errors.length < 20) errors.push((error as Error).message);
            if (errorCount > 200) return;
            continue;
          }
          const answeredAt = performance.now();
          latencies.push(answeredAt - sentAt);
          if (!buildId) {
            nulls += 1;
            return;
          }
          claimed += 1;
          lastClaimAt = answeredAt;
        }
      }),
    );
    const cpu = meter.end();
    const seconds = (lastClaimAt - startedAt) / 1000;
    const claimsPerSecond = round(claimed / seconds, 1);
    const figures = {
      builds: submitted,
      claimers: CLAIMERS,
      claimed,
      nullClaims: nulls,
      seconds: round(seconds, 2),
      claimsPerSecond,
      claimLatencyMs: summarize(latencies),
      submit: {
        seconds: round(submitSeconds, 2),
        perSecond: round(submitted / submitSeconds, 1),
        concurrency: SUBMITTERS,
        includesSourceUpload: true,
      },
      cpuPercent: cpu.percent,
      errorCount,
      errors,
    };
    return {
      rows: [
        {
          scenario: `claim throughput, ${CLAIMERS} claimers, deep queue, 1 server`,
          result: `${claimsPerSecond} claims/s`,
          details:
            `${claimed}/${submitted} pre-submitted builds claimed in ${figures.seconds} s; claim latency p50 ${figures.claimLatencyMs.p50} ms ` +
            `p99 ${figures.claimLatencyMs.p99} ms; (pre-submit, untimed: ${figures.submit.perSecond} builds/s as upload + submit ×${SUBMITTERS}); ` +
            `CPU ${describeCpu(cpu.percent)}` +
            (errorCount ? `; ${errorCount} errors: ${errors[0]}` : ''),
        },
      ],
      targets: [
        {
          name: 'claim throughput, 50 claimers, deep queue',
          measured: claimsPerSecond,
          unit: 'claims/s',
          target: '≥ 800',
          ok: claimsPerSecond >= 800 && claimed === submitted,
          anchor: { key: 'pgClaimTps', kind: 'rate' },
        },
      ],
      raw: figures,
    };
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await ctx.env.stopServer(server);
    await database.drop();
  }
}
