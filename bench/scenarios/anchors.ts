// (g) Anchors, measured in the same run on the same PostgreSQL, so our figures can be read as
// ratios: the bare claim transaction through `pg` (BEGIN; SELECT … FOR UPDATE SKIP LOCKED LIMIT 1;
// UPDATE; COMMIT, 50 concurrent clients), and graphile-worker 0.16's job dispatch (jobs/s on a
// queue added up front; add→start latency of jobs added one at a time to an idle runner).
import { Logger, makeWorkerUtils, run, runMigrations, type Runner } from 'graphile-worker';
import pg from 'pg';
import { type BenchContext, cpuMeter, describeCpu, type ScenarioResult } from '../lib/fleet.ts';
import { round, sleep, summarize, waitFor } from '../lib/stats.ts';

const PG_CLIENTS = 50;

export async function anchorsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.log(`anchors: raw pg claim transaction, ${PG_CLIENTS} clients`);
  const rawClaim = await rawClaimTps(ctx, ctx.quick ? 2 : 6);
  ctx.log('anchors: graphile-worker 0.16');
  const graphileDefault = await graphileWorker(ctx, {
    concurrency: 1,
    jobs: ctx.quick ? 2000 : 10_000,
    latencySamples: ctx.quick ? 30 : 200,
  });
  const graphileTen = await graphileWorker(ctx, { concurrency: 10, jobs: ctx.quick ? 3000 : 20_000, latencySamples: 0 });
  return {
    rows: [
      {
        scenario: `(g) anchor: raw pg claim transaction, ${PG_CLIENTS} clients`,
        result: `${rawClaim.tps} TPS`,
        details: `${rawClaim.claims} claims in ${rawClaim.seconds} s over ${rawClaim.rows} pending rows; latency p50 ${rawClaim.latencyMs.p50} p99 ${rawClaim.latencyMs.p99} ms; CPU ${describeCpu(rawClaim.cpuPercent)}`,
      },
      {
        scenario: '(g) anchor: graphile-worker 0.16, defaults (concurrency 1)',
        result: `${graphileDefault.jobsPerSecond} jobs/s; add→start p50 ${graphileDefault.latencyMs?.p50} / p99 ${graphileDefault.latencyMs?.p99} ms`,
        details:
          `${graphileDefault.jobs} jobs added up front, run in ${graphileDefault.seconds} s; latency from addJob's answer to the task's start over ` +
          `${graphileDefault.latencyMs?.count} jobs added one at a time to the idle runner (from the addJob call: p50 ${graphileDefault.latencyFromCallMs?.p50} ` +
          `p99 ${graphileDefault.latencyFromCallMs?.p99} ms); CPU ${describeCpu(graphileDefault.cpuPercent)}`,
      },
      {
        scenario: '(g) anchor: graphile-worker 0.16, concurrency 10',
        result: `${graphileTen.jobsPerSecond} jobs/s`,
        details: `${graphileTen.jobs} jobs added up front, run in ${graphileTen.seconds} s (as in graphile-worker's own perfTest); CPU ${describeCpu(graphileTen.cpuPercent)}`,
      },
    ],
    targets: [],
    anchors: {
      pgClaimTps: rawClaim.tps,
      graphileJobsPerSecond: graphileDefault.jobsPerSecond,
      graphileLatencyP50: graphileDefault.latencyMs!.p50,
      graphileLatencyP99: graphileDefault.latencyMs!.p99,
    },
    raw: { rawClaim, graphileDefault, graphileConcurrency10: graphileTen },
  };
}

async function rawClaimTps(ctx: BenchContext, durationSeconds: number) {
  const rows = ctx.quick ? 20_000 : 100_000;
  const database = await ctx.env.createDatabase('anchor_pg');
  const clients: pg.Client[] = [];
  try {
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query(`
      CREATE TABLE job (
        id bigserial PRIMARY KEY,
        status text NOT NULL DEFAULT 'PENDING',
        priority int NOT NULL DEFAULT 0,
        submitted_at timestamptz NOT NULL,
        worker_id int,
        assigned_at timestamptz
      );
      CREATE INDEX job_claim ON job (status, priority DESC, submitted_at)`);
    await setup.query(`INSERT INTO job (submitted_at) SELECT now() + i * interval '1 microsecond' FROM generate_series(1, $1::int) i`, [
      rows,
    ]);
    await setup.query('VACUUM ANALYZE job');
    await setup.end();

    for (let index = 0; index < PG_CLIENTS; index++) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      clients.push(client);
    }
    let counting = false;
    let stop = false;
    let claims = 0;
    const latencies: number[] = [];
    const loops = clients.map(async (client, worker) => {
      while (!stop) {
        const startedAt = performance.now();
        await client.query('BEGIN');
        const picked = await client.query<{ id: string }>(
          `SELECT id FROM job WHERE status = 'PENDING' ORDER BY priority DESC, submitted_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        const id = picked.rows[0]?.id;
        if (id) await client.query(`UPDATE job SET status = 'ASSIGNED', worker_id = $1, assigned_at = now() WHERE id = $2`, [worker, id]);
        await client.query('COMMIT');
        if (!id) break;
        if (counting) {
          claims += 1;
          latencies.push(performance.now() - startedAt);
        }
      }
    });
    await sleep(500);
    const meter = cpuMeter(ctx.env, []);
    counting = true;
    const startedAt = performance.now();
    await sleep(durationSeconds * 1000);
    counting = false;
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = meter.end();
    stop = true;
    await Promise.all(loops);
    return {
      clients: PG_CLIENTS,
      rows,
      claims,
      seconds: round(seconds, 2),
      tps: round(claims / seconds, 0),
      latencyMs: summarize(latencies),
      cpuPercent: cpu.percent,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await database.drop();
  }
}

/** Only warnings and errors from graphile-worker. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

async function graphileWorker(ctx: BenchContext, options: { concurrency: number; jobs: number; latencySamples: number }) {
  const database = await ctx.env.createDatabase(`anchor_graphile_${options.concurrency}`);
  let runner: Runner | undefined;
  const utils = await makeWorkerUtils({ connectionString: database.url, logger: quietLogger });
  try {
    await runMigrations({ connectionString: database.url, logger: quietLogger });
    // The throughput workload: a queue added up front (one add_jobs call), then drained by one runner.
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query(
      `SELECT graphile_worker.add_jobs(array_agg(('bench', json_build_object('i', i), null, null, null, null, null, null)::graphile_worker.job_spec))
       FROM generate_series(1, $1::int) i`,
      [options.jobs],
    );
    await setup.end();
    // Its backend's CPU must not land in the meter below as it exits.
    await sleep(300);

    let succeeded = 0;
    // Start and add times are matched afterwards: a job can start before addJob's answer is read.
    const called = new Map<number, number>();
    const added = new Map<number, number>();
    const started = new Map<number, number>();
    const meter = cpuMeter(ctx.env, []);
    const startedAt = performance.now();
    let lastSuccessAt = startedAt;
    runner = await run({
      connectionString: database.url,
      concurrency: options.concurrency,
      noHandleSignals: true,
      logger: quietLogger,
      taskList: {
        bench: async (payload) => {
          const sample = (payload as { sample?: number }).sample;
          if (sample !== undefined) started.set(sample, performance.now());
        },
      },
    });
    runner.events.on('job:success', () => {
      succeeded += 1;
      lastSuccessAt = performance.now();
    });
    await waitFor(() => succeeded >= options.jobs, 120_000, `graphile-worker to run ${options.jobs} jobs`, 5);
    const seconds = (lastSuccessAt - startedAt) / 1000;
    const cpu = meter.end();

    // The latency workload: one job at a time, spaced, to the now idle runner.
    for (let sample = 0; sample < options.latencySamples + (options.latencySamples ? 10 : 0); sample++) {
      called.set(sample, performance.now());
      await utils.addJob('bench', { sample });
      added.set(sample, performance.now());
      await waitFor(() => started.has(sample), 10_000, 'graphile-worker to start a job', 1);
      await sleep(20 + Math.random() * 40);
    }
    // Like ours, from the add's answer to the start; and from the call, for those who count it so.
    const measured = [...added.entries()].filter(([sample]) => sample >= 10).map(([sample, at]) => started.get(sample)! - at);
    const fromCall = [...called.entries()].filter(([sample]) => sample >= 10).map(([sample, at]) => started.get(sample)! - at);
    return {
      concurrency: options.concurrency,
      jobs: options.jobs,
      seconds: round(seconds, 2),
      jobsPerSecond: round(options.jobs / seconds, 0),
      latencyMs: measured.length ? summarize(measured) : undefined,
      latencyFromCallMs: fromCall.length ? summarize(fromCall) : undefined,
      latencyRawMs: measured.map((value) => round(value)),
      cpuPercent: cpu.percent,
    };
  } finally {
    await runner?.stop();
    await utils.release();
    await database.drop();
  }
}
