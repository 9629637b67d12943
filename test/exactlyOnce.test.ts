import { expect, it } from 'vitest';
import {
  cancelBuild,
  claim,
  completeBuild,
  createApiKey,
  failBuild,
  heartbeat,
  readBuild,
  recordBuildTelemetry,
  registerWorker,
  submitBuild,
  upload,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const BUILDS = 500;
const CLAIMERS = 50;

const { server, database } = useServer();

it(`claimBuild gives each of ${BUILDS} pending builds to exactly one of ${CLAIMERS} concurrent workers`, async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const submitted: string[] = [];
  for (let batch = 0; batch < BUILDS / 50; batch++) {
    const ids = await Promise.all(
      Array.from({ length: 50 }, async () => (await submitBuild(server, submitter.secret, { source: Buffer.from('src') })).id),
    );
    submitted.push(...ids);
  }

  // Workers run one build at a time, so each finishes its build before it claims the next.
  const workers = await Promise.all(
    Array.from({ length: CLAIMERS }, (_, index) => registerWorker(server, workerKey.secret, { name: `w${index}`, platforms: ['ANDROID'] })),
  );
  const claimedBy = new Map<string, string[]>();
  await Promise.all(
    workers.map(async (worker) => {
      for (;;) {
        const build = await claim(server, worker.token);
        if (!build) return;
        claimedBy.set(build.id, [...(claimedBy.get(build.id) ?? []), worker.workerId]);
        expectData(await failBuild(server, worker.token, build.id, { message: 'done', retryable: false }));
      }
    }),
  );

  const claimedTwice = [...claimedBy.entries()].filter(([, by]) => by.length > 1);
  expect(claimedTwice).toEqual([]);
  expect(claimedBy.size).toBe(BUILDS);
  expect(new Set(claimedBy.keys())).toEqual(new Set(submitted));
  const counts = await adminQuery(database.url, `SELECT status, count(*)::int AS n FROM "Build" GROUP BY status`);
  expect(counts).toEqual([{ status: 'FAILED', n: BUILDS }]);
  const assignedEvents = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "BuildEvent" WHERE "toStatus" = 'ASSIGNED'`);
  expect(assignedEvents[0].n).toBe(BUILDS);
  const workersLeft = await adminQuery(database.url, `SELECT status, "activeBuilds", count(*)::int AS n FROM "Worker" GROUP BY 1, 2`);
  expect(workersLeft).toEqual([{ status: 'IDLE', activeBuilds: 0, n: CLAIMERS }]);
  console.log(`exactly-once: ${BUILDS} builds, ${CLAIMERS} workers, ${claimedBy.size} claimed once, 0 twice, 0 left pending`);
});

it("holds a worker's concurrency against its own parallel claims, and its running count follows its builds", async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  await Promise.all(Array.from({ length: 12 }, () => submitBuild(server, submitter.secret, { source: Buffer.from('src') })));
  const worker = await registerWorker(server, workerKey.secret, { name: 'three at a time', platforms: ['ANDROID'] });
  // No API sets a worker's concurrency; the test sets it in the database.
  await adminQuery(database.url, `UPDATE "Worker" SET "maxConcurrentBuilds" = 3 WHERE id = $1`, [worker.workerId]);
  const workerRow = async () =>
    (await adminQuery(database.url, `SELECT status, "activeBuilds" FROM "Worker" WHERE id = $1`, [worker.workerId]))[0];
  const claimAtOnce = async (count: number) =>
    (await Promise.all(Array.from({ length: count }, () => claim(server, worker.token)))).filter((build) => build !== null);

  const first = await claimAtOnce(10);
  expect(first).toHaveLength(3);
  expect(await workerRow()).toEqual({ status: 'BUILDING', activeBuilds: 3 });

  expectData(await failBuild(server, worker.token, first[0]!.id, { message: 'broke', retryable: false }));
  expectData(await cancelBuild(server, server.adminKey, first[1]!.id));
  expect(await workerRow()).toEqual({ status: 'BUILDING', activeBuilds: 1 });

  const second = await claimAtOnce(10);
  expect(second).toHaveLength(2);
  const held = await adminQuery(
    database.url,
    `SELECT count(*)::int AS n FROM "Build" WHERE "workerId" = $1 AND status IN ('ASSIGNED', 'BUILDING')`,
    [worker.workerId],
  );
  expect(held[0].n).toBe(3);
  expect(await workerRow()).toEqual({ status: 'BUILDING', activeBuilds: 3 });

  // A retryable failure sends the build back to the queue: it stops counting for the worker.
  for (const build of [first[2]!, ...second]) {
    expectData(await failBuild(server, worker.token, build.id, { message: 'flaky', retryable: true }));
  }
  expect(await workerRow()).toEqual({ status: 'IDLE', activeBuilds: 0 });
});

it('refuses a report of an attempt that is over, even from the worker that claimed the build again, and the new attempt runs on', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  // iOS: the tests above leave Android builds pending.
  const { id: buildId } = await submitBuild(server, submitter.secret, { platform: 'IOS' });
  const worker = await registerWorker(server, workerKey.secret, { platforms: ['IOS'], maxConcurrentBuilds: 2 });
  expect(await claim(server, worker.token)).toMatchObject({ id: buildId, attempt: 1 });
  expectData(await heartbeat(server, worker.token, buildId, undefined, 1));
  const staleResult = await upload(server, worker.token, 'RESULT', Buffer.from('result of attempt 1'), buildId);
  // Taken back while its run went on, and claimed again by the same worker (which has a free slot).
  expectData(await failBuild(server, worker.token, buildId, { message: 'taken back', retryable: true, attempt: 1 }));
  expect(await claim(server, worker.token)).toMatchObject({ id: buildId, attempt: 2 });

  // The run of attempt 1 reports on: each call is refused and changes nothing.
  expectCode(await heartbeat(server, worker.token, buildId, 50, 1), 'CONFLICT');
  expectCode(await recordBuildTelemetry(server, worker.token, buildId, [{ kind: 'stale' }], 1), 'CONFLICT');
  expectCode(await completeBuild(server, worker.token, buildId, staleResult, 1), 'CONFLICT');
  expectCode(await failBuild(server, worker.token, buildId, { message: 'stale', attempt: 1 }), 'CONFLICT');
  expect(expectData(await readBuild(server, submitter.secret, buildId, 'status attempt progress resultSha256')).build).toEqual({
    status: 'ASSIGNED',
    attempt: 2,
    progress: 0,
    resultSha256: null,
  });
  expect(await adminQuery(database.url, `SELECT count(*)::int AS events FROM "BuildTelemetry" WHERE "buildId" = $1`, [buildId])).toEqual([
    { events: 0 },
  ]);

  // The run of attempt 2 starts and completes it.
  expect(expectData(await heartbeat(server, worker.token, buildId, 10, 2)).heartbeat.cancelRequested).toBe(false);
  const result = await upload(server, worker.token, 'RESULT', Buffer.from('result of attempt 2'), buildId);
  expect(expectData(await completeBuild(server, worker.token, buildId, result, 2)).completeBuild.status).toBe('COMPLETED');
  const attempts = await adminQuery(database.url, `SELECT "toStatus" FROM "BuildEvent" WHERE "buildId" = $1 ORDER BY id`, [buildId]);
  expect(attempts.map((event) => event.toStatus)).toEqual([
    'PENDING',
    'ASSIGNED',
    'BUILDING',
    'PENDING',
    'ASSIGNED',
    'BUILDING',
    'COMPLETED',
  ]);
});
