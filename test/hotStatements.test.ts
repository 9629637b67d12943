// Each hot statement called directly (its TypeScript function in server/src/queue), on a cloned
// database, with a client LISTENing on the event channel: the rows it changes, its timeline row and
// the notifications it raises; a refused call changes no row and raises nothing. Rows are seeded
// with plain SQL.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerPrincipal } from '../server/src/auth/principal.ts';
import { sql, SqlPool } from '../server/src/db/sql.ts';
import { assertNotified, BusEvent, EVENT_CHANNEL } from '../server/src/events/publish.ts';
import type { BuildStatus, UploadKind, WorkerStatus } from '../server/src/generated/prisma/enums.ts';
import { lockBuild } from '../server/src/queue/buildRows.ts';
import { completeBuild } from '../server/src/queue/finish.ts';
import { heartbeat } from '../server/src/queue/heartbeat.ts';
import { appendBuildLogs } from '../server/src/queue/logs.ts';
import { PendingEstimate } from '../server/src/queue/pendingEstimate.ts';
import { retryBuild, submitBuild } from '../server/src/queue/submit.ts';
import { requeueOrFail, transition } from '../server/src/queue/transition.ts';
import { createLocalDiskStorage } from '../server/src/storage/localDiskStorage.ts';
import type { ObjectStorage } from '../server/src/storage/objectStorage.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { makeTempDir, TEMP_DIR_PREFIX } from './helpers/postgresCluster.ts';

let database: TestDatabase;
let pool: SqlPool;
let listener: pg.Client;
let storageRoot: string;
let storage: ObjectStorage;
const heard: { topic: string }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new SqlPool(database.url, { size: 2, statementTimeoutMs: 10_000 });
  listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (message) => heard.push(JSON.parse(message.payload!)));
  await listener.query(`LISTEN ${EVENT_CHANNEL}`);
  storageRoot = await makeTempDir(`${TEMP_DIR_PREFIX}hot-`);
  storage = createLocalDiskStorage(storageRoot);
});

afterAll(async () => {
  await listener?.end();
  await pool?.close();
  await database?.drop();
  if (storageRoot) await rm(storageRoot, { recursive: true, force: true });
});

let sentinels = 0;

/**
 * The notifications committed since the last call, in order, each parsed with the BusEvent schema
 * (a payload built in SQL that drifted from it throws). A listener gets notifications in commit
 * order, so once a sentinel sent now has arrived, everything committed before it has too.
 */
async function drainNotifications(): Promise<{ topic: string }[]> {
  const sentinel = { topic: 'sentinel', n: ++sentinels };
  await pool.query(sql`SELECT pg_notify(${EVENT_CHANNEL}, ${JSON.stringify(sentinel)})`);
  while (!heard.some((event) => (event as typeof sentinel).n === sentinel.n)) await new Promise((resolve) => setTimeout(resolve, 5));
  return heard
    .splice(0)
    .filter((event) => event.topic !== 'sentinel')
    .map((event) => BusEvent.parse(event));
}

/** What `call` raised, parsed, in order. */
async function notificationsOf(call: () => Promise<unknown>): Promise<{ topic: string }[]> {
  await drainNotifications();
  await call();
  return drainNotifications();
}

/** Every row of the tables the hot statements write, to show that a refused call changed none. */
async function snapshot() {
  const [tables] = await pool.query<Record<string, unknown>>(sql`
    SELECT (SELECT json_agg(t ORDER BY t.id) FROM "Build" t) AS builds, (SELECT json_agg(t ORDER BY t.id) FROM "BuildEvent" t) AS events,
      (SELECT json_agg(t ORDER BY t.id) FROM "Worker" t) AS workers, (SELECT json_agg(t ORDER BY t.id) FROM "Upload" t) AS uploads,
      (SELECT json_agg(t ORDER BY t."buildId", t.attempt, t.seq) FROM "BuildLog" t) AS logs`);
  return tables;
}

/** Runs a call that must be refused with `code`: it changes no row and raises nothing. */
async function expectRefused(call: () => Promise<unknown>, code: string) {
  const before = await snapshot();
  const raised = await notificationsOf(() => expect(call()).rejects.toMatchObject({ extensions: { code } }));
  expect(raised).toEqual([]);
  expect(await snapshot()).toEqual(before);
}

async function seedApiKey(): Promise<string> {
  const [key] = await pool.query<{ id: string }>(
    sql`INSERT INTO "ApiKey" (name, role, hash) VALUES ('submitter', 'SUBMITTER', ${randomUUID()}) RETURNING id`,
  );
  return key.id;
}

/** A worker last seen an hour ago, so a statement that marks it seen shows. */
async function seedWorker(): Promise<string> {
  const [worker] = await pool.query<{ id: string }>(
    sql`INSERT INTO "Worker" (name, platforms, "lastSeenAt") VALUES ('mac', '{IOS}', now() - interval '1 hour') RETURNING id`,
  );
  return worker.id;
}

async function setWorkerStatus(workerId: string, status: WorkerStatus) {
  await pool.execute(sql`UPDATE "Worker" SET status = ${status}::"WorkerStatus" WHERE id = ${workerId}::uuid`);
}

/**
 * A build, inserted PENDING and then moved to `status` for `workerId` on its first attempt, as a
 * claim and a start would (so the trigger counts the worker's builds).
 */
async function seedBuild(status: BuildStatus, workerId?: string, maxAttempts = 3): Promise<string> {
  const [build] = await pool.query<{ id: string }>(sql`
    INSERT INTO "Build" (platform, "sourceKey", "sourceSize", "sourceSha256", "heartbeatTimeoutSeconds", "timeoutSeconds", "maxAttempts")
    VALUES ('IOS', 'sources/a', 10, ${'a'.repeat(64)}, 60, 3600, ${maxAttempts}::int) RETURNING id`);
  if (status !== 'PENDING')
    await pool.execute(sql`
      UPDATE "Build" SET status = ${status}::"BuildStatus", "workerId" = ${workerId ?? null}::uuid, attempt = 1,
        "assignedAt" = now(), "startedAt" = CASE WHEN ${status}::"BuildStatus" = 'ASSIGNED' THEN NULL ELSE now() END,
        "lastHeartbeatAt" = now(), "finishedAt" = CASE WHEN ${status}::"BuildStatus" IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() END
      WHERE id = ${build.id}::uuid`);
  return build.id;
}

/** An upload with its bytes received (unless `received` is false), owned as `owner` says. */
async function seedUpload(
  kind: UploadKind,
  owner: { createdById?: string; createdByWorkerId?: string; buildId?: string },
  state: { received?: boolean; consumed?: boolean } = {},
): Promise<string> {
  const received = state.received ?? true;
  const [upload] = await pool.query<{ id: string }>(sql`
    INSERT INTO "Upload" (kind, filename, "maxSize", "expiresAt", "createdById", "createdByWorkerId", "buildId", "storageKey",
      size, sha256, "completedAt", "consumedAt")
    VALUES (${kind}::"UploadKind", 'a.bin', 1000, now() + interval '1 hour', ${owner.createdById ?? null}::uuid,
      ${owner.createdByWorkerId ?? null}::uuid, ${owner.buildId ?? null}::uuid, ${`uploads/${randomUUID()}`},
      ${received ? 42 : null}::bigint, ${received ? 'b'.repeat(64) : null}, ${received ? new Date() : null}::timestamptz,
      ${state.consumed ? new Date() : null}::timestamptz)
    RETURNING id`);
  return upload.id;
}

// `beatNow` and `seenNow`: whether the statement just set the time, by the database's clock.
const buildRow = async (id: string) =>
  (
    await pool.query<Record<string, unknown>>(
      sql`SELECT *, "lastHeartbeatAt" > now() - interval '30 seconds' AS "beatNow" FROM "Build" WHERE id = ${id}::uuid`,
    )
  )[0];
const workerRow = async (id: string) =>
  (
    await pool.query<Record<string, unknown>>(
      sql`SELECT *, "lastSeenAt" > now() - interval '30 seconds' AS "seenNow" FROM "Worker" WHERE id = ${id}::uuid`,
    )
  )[0];
const uploadRow = async (id: string) => (await pool.query<Record<string, unknown>>(sql`SELECT * FROM "Upload" WHERE id = ${id}::uuid`))[0];
/** The build's timeline rows, oldest first, without their ids and times. */
const timeline = (buildId: string) =>
  pool.query(sql`SELECT "fromStatus", "toStatus", actor, reason FROM "BuildEvent" WHERE "buildId" = ${buildId}::uuid ORDER BY id`);

const workerPrincipal = (workerId: string): WorkerPrincipal => ({
  kind: 'worker',
  workerId,
  tokenHash: 'unused',
  // Far from expiry: the heartbeat rotates no token, and runs its one statement only.
  tokenExpiresAt: new Date(Date.now() + 24 * 3600_000),
  usingPreviousToken: false,
});
const tokenSettings = { workerTokenTtlSeconds: 3600, workerTokenGraceSeconds: 60 };

describe('notifications of a hot statement', () => {
  it('a statement that changed rows but reports fewer notified is a bug that throws', () => {
    expect(() => assertNotified('test', 1, 0)).toThrow(/test changed 1 row\(s\) but raised events for 0/);
    expect(() => assertNotified('test', 1, undefined)).toThrow(/its NOTIFY was dropped/);
    expect(() => assertNotified('test', 0, 0)).not.toThrow();
  });
});

describe('transition', () => {
  it('moves a locked build, writes its timeline row and raises buildUpdated and the running worker’s CANCEL_BUILD', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    const cancel = { to: 'CANCELLED' as const, actor: 'test', reason: 'stop', set: sql`"finishedAt" = now(), "cancelRequestedAt" = now()` };
    const raised = await notificationsOf(() => pool.transaction(async (tx) => transition(tx, await lockBuild(tx, buildId), cancel)));
    expect(raised).toEqual([
      { topic: 'buildUpdated', buildId, status: 'CANCELLED' },
      { topic: 'workerEvents', workerId, kind: 'CANCEL_BUILD', buildId },
    ]);
    expect(await buildRow(buildId)).toMatchObject({
      status: 'CANCELLED',
      finishedAt: expect.any(Date),
      cancelRequestedAt: expect.any(Date),
    });
    expect(await workerRow(workerId)).toMatchObject({ activeBuilds: 0, status: 'IDLE' });
    expect(await timeline(buildId)).toEqual([{ fromStatus: 'BUILDING', toStatus: 'CANCELLED', actor: 'test', reason: 'stop' }]);
  });

  it('requeueOrFail puts a build back in the queue with jobAvailable while attempts remain, else fails it', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId, 2);
    const raised = await notificationsOf(() =>
      pool.transaction(async (tx) => requeueOrFail(tx, await lockBuild(tx, buildId), 'system', 'heartbeat timed out')),
    );
    expect(raised).toEqual([
      { topic: 'buildUpdated', buildId, status: 'PENDING' },
      { topic: 'jobAvailable', platform: 'IOS', buildId },
    ]);
    expect(await buildRow(buildId)).toMatchObject({
      status: 'PENDING',
      workerId,
      startedAt: null,
      lastHeartbeatAt: null,
      errorMessage: 'heartbeat timed out',
    });

    const outOfAttempts = await seedBuild('BUILDING', workerId, 1);
    const failed = await notificationsOf(() =>
      pool.transaction(async (tx) => requeueOrFail(tx, await lockBuild(tx, outOfAttempts), 'system', 'heartbeat timed out')),
    );
    expect(failed).toEqual([{ topic: 'buildUpdated', buildId: outOfAttempts, status: 'FAILED' }]);
    expect(await buildRow(outOfAttempts)).toMatchObject({ status: 'FAILED', errorMessage: 'heartbeat timed out (after 1 attempts)' });
    expect(await timeline(outOfAttempts)).toEqual([
      { fromStatus: 'BUILDING', toStatus: 'FAILED', actor: 'system', reason: 'heartbeat timed out' },
    ]);
  });

  it('refuses a build that changed since it was read: CONFLICT, nothing changed, nothing raised', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('ASSIGNED', workerId);
    const stale = await pool.transaction((tx) => lockBuild(tx, buildId));
    await pool.execute(sql`UPDATE "Build" SET status = 'BUILDING', "startedAt" = now() WHERE id = ${buildId}::uuid`);
    await expectRefused(() => pool.transaction((tx) => transition(tx, stale, { to: 'CANCELLED', actor: 'test' })), 'CONFLICT');
  });
});

describe('completeBuild', () => {
  async function running() {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    const uploadId = await seedUpload('RESULT', { createdByWorkerId: workerId, buildId });
    return { workerId, buildId, uploadId };
  }

  it('completes the build with its result, consumes the upload, counts the worker’s outcome and raises buildUpdated', async () => {
    const { workerId, buildId, uploadId } = await running();
    const upload = await uploadRow(uploadId);
    let completed: Awaited<ReturnType<typeof completeBuild>> | undefined;
    const raised = await notificationsOf(async () => {
      completed = await completeBuild(pool, storage, workerId, { buildId, resultUploadId: uploadId });
    });
    expect(raised).toEqual([{ topic: 'buildUpdated', buildId, status: 'COMPLETED' }]);
    expect(completed).toMatchObject({ id: buildId, status: 'COMPLETED', progress: 100, resultKey: upload.storageKey, resultSize: 42n });
    expect(await buildRow(buildId)).toMatchObject({
      status: 'COMPLETED',
      progress: 100,
      finishedAt: expect.any(Date),
      resultKey: upload.storageKey,
      resultSize: '42',
      resultSha256: 'b'.repeat(64),
    });
    expect(await uploadRow(uploadId)).toMatchObject({ consumedAt: expect.any(Date) });
    expect(await workerRow(workerId)).toMatchObject({ buildsCompleted: 1, buildsFailed: 0, activeBuilds: 0, status: 'IDLE' });
    expect(await timeline(buildId)).toEqual([{ fromStatus: 'BUILDING', toStatus: 'COMPLETED', actor: `worker:${workerId}`, reason: null }]);
  });

  it('refuses another worker’s build (FORBIDDEN), changing nothing and raising nothing', async () => {
    const { buildId, uploadId } = await running();
    const otherWorker = await seedWorker();
    await expectRefused(() => completeBuild(pool, storage, otherWorker, { buildId, resultUploadId: uploadId }), 'FORBIDDEN');
  });

  it('refuses a build that is not running (CONFLICT), an unknown one (NOT_FOUND), and changes nothing', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('CANCELLED', workerId);
    const uploadId = await seedUpload('RESULT', { createdByWorkerId: workerId, buildId });
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId, resultUploadId: uploadId }), 'CONFLICT');
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId: randomUUID(), resultUploadId: uploadId }), 'NOT_FOUND');
  });

  it('refuses an upload that is used, without bytes, of another build or unknown, and changes nothing', async () => {
    const { workerId, buildId } = await running();
    const used = await seedUpload('RESULT', { createdByWorkerId: workerId, buildId }, { consumed: true });
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId, resultUploadId: used }), 'CONFLICT');
    const empty = await seedUpload('RESULT', { createdByWorkerId: workerId, buildId }, { received: false });
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId, resultUploadId: empty }), 'BAD_USER_INPUT');
    const otherBuilds = await seedUpload('RESULT', { createdByWorkerId: workerId, buildId: await seedBuild('PENDING') });
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId, resultUploadId: otherBuilds }), 'FORBIDDEN');
    await expectRefused(() => completeBuild(pool, storage, workerId, { buildId, resultUploadId: randomUUID() }), 'NOT_FOUND');
  });
});

describe('heartbeat', () => {
  it('starts an ASSIGNED build: BUILDING, its timeline row and buildUpdated', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('ASSIGNED', workerId);
    let answer: Awaited<ReturnType<typeof heartbeat>> | undefined;
    const raised = await notificationsOf(async () => {
      answer = await heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId, progress: 5 });
    });
    expect(answer).toEqual({ buildId, cancelRequested: false, accessToken: null, expiresAt: null });
    expect(raised).toEqual([{ topic: 'buildUpdated', buildId, status: 'BUILDING' }]);
    expect(await buildRow(buildId)).toMatchObject({ status: 'BUILDING', progress: 5, startedAt: expect.any(Date) });
    expect(await timeline(buildId)).toEqual([
      { fromStatus: 'ASSIGNED', toStatus: 'BUILDING', actor: `worker:${workerId}`, reason: 'started' },
    ]);
  });

  it('records a BUILDING build’s progress with buildUpdated; a beat without progress raises nothing', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    await pool.execute(sql`UPDATE "Build" SET "lastHeartbeatAt" = now() - interval '1 minute' WHERE id = ${buildId}::uuid`);
    const progressed = await notificationsOf(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId, progress: 40 }));
    expect(progressed).toEqual([{ topic: 'buildUpdated', buildId, status: 'BUILDING' }]);
    expect(await buildRow(buildId)).toMatchObject({ status: 'BUILDING', progress: 40, beatNow: true });

    await pool.execute(sql`UPDATE "Build" SET "lastHeartbeatAt" = now() - interval '1 minute' WHERE id = ${buildId}::uuid`);
    const bare = await notificationsOf(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId }));
    expect(bare).toEqual([]);
    expect(await buildRow(buildId)).toMatchObject({ progress: 40, beatNow: true });
    expect(await timeline(buildId)).toEqual([]);
  });

  it('brings an OFFLINE worker back, BUILDING as its builds say, with workerUpdated', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    await setWorkerStatus(workerId, 'OFFLINE');
    const raised = await notificationsOf(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId }));
    expect(raised).toEqual([{ topic: 'workerUpdated', workerId }]);
    expect(await workerRow(workerId)).toMatchObject({ status: 'BUILDING', activeBuilds: 1, seenNow: true });
  });

  it('without a build marks the worker seen; an OFFLINE one comes back IDLE with workerUpdated', async () => {
    const workerId = await seedWorker();
    expect(await notificationsOf(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), {}))).toEqual([]);
    expect(await workerRow(workerId)).toMatchObject({ status: 'IDLE', seenNow: true });

    await setWorkerStatus(workerId, 'OFFLINE');
    const raised = await notificationsOf(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), {}));
    expect(raised).toEqual([{ topic: 'workerUpdated', workerId }]);
    expect(await workerRow(workerId)).toMatchObject({ status: 'IDLE' });
  });

  it('tells the worker of a cancelled build to stop, raising nothing', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('CANCELLED', workerId);
    let answer: Awaited<ReturnType<typeof heartbeat>> | undefined;
    const raised = await notificationsOf(async () => {
      answer = await heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId });
    });
    expect(answer?.cancelRequested).toBe(true);
    expect(raised).toEqual([]);
    expect((await buildRow(buildId)).status).toBe('CANCELLED');
    expect((await workerRow(workerId)).seenNow).toBe(true);
  });

  it('refuses another worker’s build (FORBIDDEN), a finished one (CONFLICT) and an unknown one (NOT_FOUND), changing nothing', async () => {
    const workerId = await seedWorker();
    const otherWorker = await seedWorker();
    await setWorkerStatus(otherWorker, 'OFFLINE');
    const buildId = await seedBuild('ASSIGNED', workerId);
    // Not even the caller is marked seen, nor announced as back.
    await expectRefused(() => heartbeat(pool, tokenSettings, workerPrincipal(otherWorker), { buildId, progress: 10 }), 'FORBIDDEN');
    const finished = await seedBuild('COMPLETED', workerId);
    await expectRefused(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId: finished, progress: 10 }), 'CONFLICT');
    await expectRefused(() => heartbeat(pool, tokenSettings, workerPrincipal(workerId), { buildId: randomUUID() }), 'NOT_FOUND');
  });
});

describe('submitBuild', () => {
  const settings = { maxPendingBuilds: 1000, maxAttempts: 3, buildTimeoutSeconds: 3600, heartbeatTimeoutSeconds: 60 };
  const submitterOf = (apiKeyId: string) => ({ apiKeyId, actor: `apiKey:${apiKeyId}` });

  it('queues a build from its uploads: PENDING, uploads consumed, its timeline row, buildUpdated and jobAvailable', async () => {
    const apiKeyId = await seedApiKey();
    const sourceUploadId = await seedUpload('SOURCE', { createdById: apiKeyId });
    const certsUploadId = await seedUpload('CERTS', { createdById: apiKeyId });
    const pending = new PendingEstimate(pool, settings.maxPendingBuilds);
    let build: Awaited<ReturnType<typeof submitBuild>> | undefined;
    const raised = await notificationsOf(async () => {
      build = await submitBuild(pool, settings, pending, submitterOf(apiKeyId), {
        platform: 'IOS',
        sourceUploadId,
        certsUploadId,
        priority: 7,
        requiredLabels: ['xcode=16'],
      });
    });
    const buildId = build!.id;
    expect(raised).toEqual([
      { topic: 'buildUpdated', buildId, status: 'PENDING' },
      { topic: 'jobAvailable', platform: 'IOS', buildId },
    ]);
    const source = await uploadRow(sourceUploadId);
    const certs = await uploadRow(certsUploadId);
    expect(await buildRow(buildId)).toMatchObject({
      status: 'PENDING',
      platform: 'IOS',
      priority: 7,
      maxAttempts: 3,
      timeoutSeconds: 3600,
      heartbeatTimeoutSeconds: 60,
      requiredLabels: ['xcode=16'],
      submittedById: apiKeyId,
      sourceKey: source.storageKey,
      sourceSize: '42',
      certsKey: certs.storageKey,
      retryOfId: null,
    });
    expect(source.consumedAt).toBeInstanceOf(Date);
    expect(certs.consumedAt).toBeInstanceOf(Date);
    expect(await timeline(buildId)).toEqual([{ fromStatus: null, toStatus: 'PENDING', actor: `apiKey:${apiKeyId}`, reason: 'submitted' }]);
  });

  it('refuses uploads that are someone else’s, of the wrong kind, used or unknown, changing nothing', async () => {
    const apiKeyId = await seedApiKey();
    const pending = new PendingEstimate(pool, settings.maxPendingBuilds);
    const submit = (sourceUploadId: string, certsUploadId?: string) => () =>
      submitBuild(pool, settings, pending, submitterOf(apiKeyId), { platform: 'IOS', sourceUploadId, certsUploadId });
    const source = await seedUpload('SOURCE', { createdById: apiKeyId });
    await expectRefused(submit(await seedUpload('SOURCE', { createdById: await seedApiKey() })), 'FORBIDDEN');
    await expectRefused(submit(await seedUpload('CERTS', { createdById: apiKeyId })), 'BAD_USER_INPUT');
    await expectRefused(submit(await seedUpload('SOURCE', { createdById: apiKeyId }, { consumed: true })), 'CONFLICT');
    await expectRefused(submit(randomUUID()), 'NOT_FOUND');
    await expectRefused(submit(source, await seedUpload('CERTS', { createdById: apiKeyId }, { received: false })), 'BAD_USER_INPUT');
  });

  it('refuses a build past the queue’s bound (QUEUE_FULL), changing nothing', async () => {
    const apiKeyId = await seedApiKey();
    await seedBuild('PENDING');
    const [{ count }] = await pool.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM "Build" WHERE status = 'PENDING'`);
    const full = { ...settings, maxPendingBuilds: count };
    const sourceUploadId = await seedUpload('SOURCE', { createdById: apiKeyId });
    await expectRefused(
      () => submitBuild(pool, full, new PendingEstimate(pool, count), submitterOf(apiKeyId), { platform: 'IOS', sourceUploadId }),
      'QUEUE_FULL',
    );
  });

  it('retryBuild queues a finished build’s inputs again, linked to it, with its timeline row and events', async () => {
    const apiKeyId = await seedApiKey();
    const original = await seedBuild('FAILED', await seedWorker());
    let retry: Awaited<ReturnType<typeof retryBuild>> | undefined;
    const raised = await notificationsOf(async () => {
      retry = await retryBuild(pool, settings, submitterOf(apiKeyId), original);
    });
    const buildId = retry!.id;
    expect(raised).toEqual([
      { topic: 'buildUpdated', buildId, status: 'PENDING' },
      { topic: 'jobAvailable', platform: 'IOS', buildId },
    ]);
    expect(await buildRow(buildId)).toMatchObject({ status: 'PENDING', retryOfId: original, sourceKey: 'sources/a', sourceSize: '10' });
    expect(await timeline(buildId)).toEqual([{ fromStatus: null, toStatus: 'PENDING', actor: `apiKey:${apiKeyId}`, reason: 'retry' }]);
    await expectRefused(() => retryBuild(pool, settings, submitterOf(apiKeyId), buildId), 'CONFLICT');
  });
});

describe('appendBuildLogs', () => {
  const bounds = { logMaxLines: 100, logMaxBytes: 100_000 };
  const lines = (...messages: string[]) => messages.map((message) => ({ level: 'INFO' as const, message }));
  const storedLines = (buildId: string) =>
    pool.query(sql`SELECT attempt, seq, level, message FROM "BuildLog" WHERE "buildId" = ${buildId}::uuid ORDER BY attempt, seq`);

  it('stores a batch in the attempt’s log, advances its counters and raises buildLogAppended', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    let answer: Awaited<ReturnType<typeof appendBuildLogs>> | undefined;
    const raised = await notificationsOf(async () => {
      answer = await appendBuildLogs(pool, bounds, workerId, { buildId, firstSeq: 1, lines: lines('one', 'two'), attempt: 1 });
    });
    expect(answer).toEqual({ nextSeq: 3, accepted: 2, truncated: false });
    expect(raised).toEqual([{ topic: 'buildLogAppended', buildId, attempt: 1, fromSeq: 1, toSeq: 2 }]);
    expect(await storedLines(buildId)).toEqual([
      { attempt: 1, seq: 1, level: 'INFO', message: 'one' },
      { attempt: 1, seq: 2, level: 'INFO', message: 'two' },
    ]);
    expect(await buildRow(buildId)).toMatchObject({ logLineCount: 2, logByteCount: '6', logTruncated: false });
  });

  it('past the bound stores the lines that fit and a marker, and says so in its event', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    let answer: Awaited<ReturnType<typeof appendBuildLogs>> | undefined;
    const raised = await notificationsOf(async () => {
      answer = await appendBuildLogs(pool, { ...bounds, logMaxLines: 2 }, workerId, { buildId, firstSeq: 1, lines: lines('a', 'b', 'c') });
    });
    expect(answer).toEqual({ nextSeq: 3, accepted: 2, truncated: true });
    expect(raised).toEqual([{ topic: 'buildLogAppended', buildId, attempt: 1, fromSeq: 1, toSeq: 3 }]);
    expect(await storedLines(buildId)).toEqual([
      { attempt: 1, seq: 1, level: 'INFO', message: 'a' },
      { attempt: 1, seq: 2, level: 'INFO', message: 'b' },
      { attempt: 1, seq: 3, level: 'WARN', message: expect.stringMatching(/^Log truncated/) },
    ]);
    expect(await buildRow(buildId)).toMatchObject({ logLineCount: 2, logTruncated: true });
    await expectRefused(() => appendBuildLogs(pool, bounds, workerId, { buildId, firstSeq: 3, lines: lines('d') }), 'PAYLOAD_TOO_LARGE');
  });

  it('stores nothing and raises nothing for a batch that does not start at the next seq, and names that seq', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    await appendBuildLogs(pool, bounds, workerId, { buildId, firstSeq: 1, lines: lines('one') });
    const before = await snapshot();
    let answer: Awaited<ReturnType<typeof appendBuildLogs>> | undefined;
    const raised = await notificationsOf(async () => {
      answer = await appendBuildLogs(pool, bounds, workerId, { buildId, firstSeq: 1, lines: lines('one', 'two') });
    });
    expect(answer).toEqual({ nextSeq: 2, accepted: 0, truncated: false });
    expect(raised).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses another worker’s build, another attempt, a finished build and an unknown one, changing nothing', async () => {
    const workerId = await seedWorker();
    const buildId = await seedBuild('BUILDING', workerId);
    const append = (worker: string, input: { buildId?: string; attempt?: number }) => () =>
      appendBuildLogs(pool, bounds, worker, { buildId, firstSeq: 1, lines: lines('x'), ...input });
    await expectRefused(append(await seedWorker(), {}), 'FORBIDDEN');
    await expectRefused(append(workerId, { attempt: 2 }), 'CONFLICT');
    await expectRefused(append(workerId, { buildId: await seedBuild('COMPLETED', workerId) }), 'CONFLICT');
    await expectRefused(append(workerId, { buildId: randomUUID() }), 'NOT_FOUND');
  });
});
