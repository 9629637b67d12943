// (f) Ingest: log lines through appendBuildLogs and telemetry events through recordBuildTelemetry,
// in batches of 500, several writers at once, each on its own build and over its own socket (as a
// build's worker sends them).
import {
  appendBuildLogs,
  claimBuild,
  type Caller,
  heartbeat,
  recordBuildTelemetry,
  registerWorker,
  sampleLogLines,
  sampleTelemetry,
} from '../lib/api.ts';
import { type BenchContext, cpuMeter, describeCpu, prepareServer, preUploadSources, type ScenarioResult, submitAll } from '../lib/fleet.ts';
import { round, summarize } from '../lib/stats.ts';
import { openSocket, type Socket } from '../lib/ws.ts';

const BATCH = 500;

/** A writer: the build its worker runs, and the worker's socket. */
interface RunningBuild {
  call: Caller;
  buildId: string;
}

interface IngestFigures {
  writers: number;
  batchesPerWriter: number;
  items: number;
  seconds: number;
  perSecond: number;
  batchLatencyMs: ReturnType<typeof summarize>;
  cpuPercent: Record<string, number>;
}

export async function ingestScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const writers = ctx.quick ? 2 : 4;
  const batchesPerWriter = ctx.quick ? 20 : 100;
  const database = await ctx.env.createDatabase('ingest');
  const server = await ctx.env.startServer(database);
  const running: RunningBuild[] = [];
  const sockets: Socket[] = [];
  let logs: IngestFigures;
  let telemetry: IngestFigures;
  try {
    const handle = await prepareServer(server);
    // Each writer is a worker running its own build.
    const sources = await preUploadSources([handle], writers);
    await submitAll([handle], sources.ids, writers);
    for (let index = 0; index < writers; index++) {
      const worker = await registerWorker(handle.registrar, { name: `ingest-${index}`, platforms: ['ANDROID'] });
      const socket = openSocket(handle.endpoint.wsUrl, worker.token);
      sockets.push(socket);
      await socket.connected;
      const buildId = await claimBuild(socket.request);
      if (!buildId) throw new Error('an ingest worker found no build to claim');
      await heartbeat(socket.request, buildId, 1);
      running.push({ call: socket.request, buildId });
    }
    // Warm-up (untimed): one batch each.
    const nextSeq = running.map(() => 1);
    await Promise.all(
      running.map(async (build, index) => {
        nextSeq[index] = (await appendBuildLogs(build.call, build.buildId, 1, sampleLogLines(BATCH))).nextSeq;
        await recordBuildTelemetry(build.call, build.buildId, sampleTelemetry(BATCH));
      }),
    );

    ctx.log(`ingest: ${writers} writers × ${batchesPerWriter} log batches of ${BATCH}`);
    logs = await measure(ctx, server, running, batchesPerWriter, async (build, index, batch) => {
      const answer = await appendBuildLogs(build.call, build.buildId, nextSeq[index]!, sampleLogLines(BATCH, batch * BATCH));
      if (answer.accepted !== BATCH) throw new Error(`appendBuildLogs accepted ${answer.accepted} of ${BATCH} (nextSeq ${answer.nextSeq})`);
      nextSeq[index] = answer.nextSeq;
    });
    ctx.log(`ingest: ${writers} writers × ${batchesPerWriter} telemetry batches of ${BATCH}`);
    telemetry = await measure(ctx, server, running, batchesPerWriter, async (build, _index, batch) => {
      const accepted = await recordBuildTelemetry(build.call, build.buildId, sampleTelemetry(BATCH, batch * BATCH));
      if (accepted !== BATCH) throw new Error(`recordBuildTelemetry accepted ${accepted} of ${BATCH}`);
    });
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await ctx.env.stopServer(server);
    await database.drop();
  }
  const describe = (figures: IngestFigures, what: string) =>
    `${figures.items} ${what} from ${figures.writers} writers on ${figures.writers} builds in ${figures.seconds} s; ` +
    `batch latency p50 ${figures.batchLatencyMs.p50} p99 ${figures.batchLatencyMs.p99} ms; CPU ${describeCpu(figures.cpuPercent)}`;
  return {
    rows: [
      { scenario: `(f) log ingest, batches of ${BATCH}`, result: `${logs.perSecond} lines/s`, details: describe(logs, 'lines') },
      {
        scenario: `(f) telemetry ingest, batches of ${BATCH}`,
        result: `${telemetry.perSecond} events/s`,
        details: describe(telemetry, 'events'),
      },
    ],
    targets: [
      {
        name: 'log ingest, appendBuildLogs ×500',
        measured: logs.perSecond,
        unit: 'lines/s',
        target: '≥ 50000',
        ok: logs.perSecond >= 50_000,
      },
      {
        name: 'telemetry ingest, recordBuildTelemetry ×500',
        measured: telemetry.perSecond,
        unit: 'events/s',
        target: '≥ 20000',
        ok: telemetry.perSecond >= 20_000,
      },
    ],
    raw: { batch: BATCH, logs, telemetry },
  };
}

async function measure(
  ctx: BenchContext,
  server: Parameters<typeof cpuMeter>[1][number],
  running: RunningBuild[],
  batchesPerWriter: number,
  send: (build: RunningBuild, index: number, batch: number) => Promise<void>,
): Promise<IngestFigures> {
  const latencies: number[] = [];
  const meter = cpuMeter(ctx.env, [server]);
  const startedAt = performance.now();
  await Promise.all(
    running.map(async (build, index) => {
      for (let batch = 0; batch < batchesPerWriter; batch++) {
        const sentAt = performance.now();
        await send(build, index, batch + 1);
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = meter.end();
  const items = running.length * batchesPerWriter * BATCH;
  return {
    writers: running.length,
    batchesPerWriter,
    items,
    seconds: round(seconds, 2),
    perSecond: round(items / seconds, 0),
    batchLatencyMs: summarize(latencies),
    cpuPercent: cpu.percent,
  };
}
