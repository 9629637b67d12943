import type { Config } from '../config/config.ts';
import { sql, type SqlClient } from '../db/sql.ts';
import { badInput, conflict, forbidden, notFound } from '../errors.ts';
import { assertNotified, notifyList, notifyRows, type BusEvent } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';
import type { Principal } from '../auth/principal.ts';
import { hashSecret, newWorkerToken } from '../auth/secrets.ts';
import { ACTIVE_STATUSES, assertCurrentAttempt, insertTimelineRows, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
import { RETURNING_WORKER_STATUS } from './workerStatus.ts';
import { assertId, assertIntegerInRange, assertOptionalAttempt } from './validate.ts';

type WorkerPrincipal = Extract<Principal, { kind: 'worker' }>;
type TokenSettings = Pick<Config, 'workerTokenTtlSeconds' | 'workerTokenGraceSeconds'>;

export interface HeartbeatResult {
  buildId: string | null;
  cancelRequested: boolean;
  accessToken: string | null;
  expiresAt: Date | null;
}

/**
 * A worker's sign of life, for itself and optionally for the build it runs: marks the worker
 * seen, starts an ASSIGNED build, records progress, tells it when its build was cancelled and
 * rotates its access token when close to expiry. The beat is one statement; a rotation, when
 * due, a second one.
 */
export async function heartbeat(
  db: SqlClient,
  settings: TokenSettings,
  worker: WorkerPrincipal,
  input: { buildId?: string | null; progress?: number | null; attempt?: number | null },
): Promise<HeartbeatResult> {
  const buildId = input.buildId ? assertId(input.buildId, 'buildId') : null;
  const progress = input.progress == null ? null : assertIntegerInRange(input.progress, 0, 100, 'progress');
  const attempt = assertOptionalAttempt(input.attempt);
  if (progress !== null && !buildId) throw badInput('progress needs a buildId');
  if (attempt !== null && !buildId) throw badInput('attempt needs a buildId');
  const cancelRequested = buildId
    ? await beatBuild(db, worker.workerId, buildId, progress, attempt)
    : await beatWorker(db, worker.workerId);
  const rotated = await rotateTokenIfDue(db, settings, worker);
  return { buildId, cancelRequested, accessToken: rotated?.accessToken ?? null, expiresAt: rotated?.expiresAt ?? null };
}

/**
 * Marks the worker seen; an OFFLINE worker coming back gets its status from the builds it holds
 * and is announced. One statement. Returns false: no build, nothing cancelled.
 */
async function beatWorker(db: SqlClient, workerId: string): Promise<boolean> {
  const [row] = await db.query<{ cameBack: number; cameBackNotified: number }>(sql`
    WITH seen AS (
      UPDATE "Worker" w SET "lastSeenAt" = now(),
        status = CASE WHEN before.status <> 'OFFLINE' THEN before.status ELSE ${RETURNING_WORKER_STATUS} END
      FROM (SELECT id, status FROM "Worker" WHERE id = ${workerId}::uuid FOR UPDATE) before
      WHERE w.id = before.id
      RETURNING before.status = 'OFFLINE' AS "wasOffline"
    )
    SELECT (SELECT count(*) FROM seen WHERE "wasOffline")::int AS "cameBack",
      ${notifyRows(sql`seen WHERE "wasOffline"`, [{ topic: 'workerUpdated', workerId }])} AS "cameBackNotified"`);
  assertNotified('beatWorker', row.cameBack, row.cameBackNotified);
  return false;
}

/**
 * One statement: the build is locked first (then the worker, the order every transition uses),
 * an ASSIGNED build of this worker (on `attempt`, when given) starts, a BUILDING one records the
 * beat, and the worker is marked seen (announced if it was OFFLINE), each only when its guard
 * holds; the locked row then says what failed, if anything. Returns whether the build was
 * cancelled; throws NOT_FOUND, FORBIDDEN (not this worker's build) and CONFLICT (the build is not
 * running, or is on another attempt), and then nothing changed.
 */
async function beatBuild(
  db: SqlClient,
  workerId: string,
  buildId: string,
  progress: number | null,
  attempt: number | null,
): Promise<boolean> {
  const beat = sql`"lastHeartbeatAt" = now()${progress === null ? sql`` : sql`, progress = ${progress}::int`}`;
  const building: BusEvent[] = [{ topic: 'buildUpdated', buildId, status: 'BUILDING' }];
  type Counts = Record<'started' | 'startedNotified' | 'beaten' | 'beatNotified' | 'cameBack' | 'cameBackNotified', number>;
  const [row] = await db.query<Partial<LockedBuild> & Counts>(sql`
    WITH build AS (
      SELECT ${LOCKED_BUILD_COLUMNS} FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE
    ), mine AS (
      SELECT * FROM build WHERE "workerId" = ${workerId}::uuid AND attempt = COALESCE(${attempt}::int, attempt)
    ), started AS (
      UPDATE "Build" b SET status = 'BUILDING', "startedAt" = now(), ${beat}
      FROM mine
      WHERE b.id = mine.id AND mine.status = 'ASSIGNED' AND b.status = mine.status AND b."workerId" = mine."workerId" AND b.attempt = mine.attempt
      RETURNING b.id
    ), event AS (
      ${insertTimelineRows(sql`started`, { from: 'ASSIGNED', to: 'BUILDING', actor: `worker:${workerId}`, reason: 'started' })}
    ), beaten AS (
      UPDATE "Build" b SET ${beat} FROM mine WHERE b.id = mine.id AND mine.status = 'BUILDING' RETURNING b.id
    ), seen AS (
      UPDATE "Worker" w SET "lastSeenAt" = now(),
        status = CASE WHEN before.status <> 'OFFLINE' THEN before.status ELSE ${RETURNING_WORKER_STATUS} END
      FROM (SELECT id, status FROM "Worker" WHERE id = ${workerId}::uuid FOR UPDATE) before
      WHERE w.id = before.id AND EXISTS (SELECT 1 FROM mine WHERE status IN ('ASSIGNED', 'BUILDING', 'CANCELLED'))
      RETURNING before.status = 'OFFLINE' AS "wasOffline"
    )
    SELECT build.*,
      (SELECT count(*) FROM started)::int AS started, ${notifyRows(sql`started`, building)} AS "startedNotified",
      -- Progress is news for the console; a bare beat is not.
      (SELECT count(*) FROM beaten)::int AS beaten, ${progress === null ? sql`0` : notifyRows(sql`beaten`, building)} AS "beatNotified",
      (SELECT count(*) FROM seen WHERE "wasOffline")::int AS "cameBack",
      ${notifyRows(sql`seen WHERE "wasOffline"`, [{ topic: 'workerUpdated', workerId }])} AS "cameBackNotified"
    FROM (SELECT) one LEFT JOIN build ON true`);
  assertNotified('beatBuild (start)', row.started, row.startedNotified);
  assertNotified('beatBuild (progress)', progress === null ? 0 : row.beaten, row.beatNotified);
  assertNotified('beatBuild (worker back)', row.cameBack, row.cameBackNotified);
  if (!row.id) throw notFound('Build');
  const build = row as LockedBuild;
  if (build.workerId !== workerId) throw forbidden('This build is not assigned to this worker');
  assertCurrentAttempt(build, attempt);
  // A cancelled build is not an error for its worker: the answer tells it to stop.
  if (build.status === 'CANCELLED') return true;
  if (!ACTIVE_STATUSES.includes(build.status)) throw conflict(`The build is ${build.status}`, { status: build.status });
  if (row.started === 1) recordTransition('ASSIGNED', 'BUILDING');
  return false;
}

/**
 * A token in its last third of life is replaced; the old one stays valid for a short grace so
 * requests already in flight succeed. The WHERE on the current hash makes two concurrent
 * heartbeats rotate once.
 */
async function rotateTokenIfDue(db: SqlClient, settings: TokenSettings, worker: WorkerPrincipal) {
  if (worker.usingPreviousToken) return null;
  const remainingMs = worker.tokenExpiresAt.getTime() - Date.now();
  if (remainingMs > (settings.workerTokenTtlSeconds * 1000) / 3) return null;
  const issued = issueWorkerToken(worker.workerId, settings);
  const previousValidUntil = new Date(Math.min(Date.now() + settings.workerTokenGraceSeconds * 1000, worker.tokenExpiresAt.getTime()));
  // The old token now lives only for the grace period: other processes must not trust it longer.
  const rotated = await db.query(sql`
    WITH rotated AS (
      UPDATE "Worker" SET "tokenHash" = ${issued.tokenHash}, "tokenExpiresAt" = ${issued.expiresAt},
        "previousTokenHash" = ${worker.tokenHash}, "previousTokenValidUntil" = ${previousValidUntil}
      WHERE id = ${worker.workerId}::uuid AND "tokenHash" = ${worker.tokenHash}
      RETURNING id
    )
    SELECT ${notifyList([{ topic: 'credentialsChanged', workerId: worker.workerId }])} FROM rotated`);
  return rotated.length === 1 ? issued : null;
}

export function issueWorkerToken(workerId: string, settings: Pick<Config, 'workerTokenTtlSeconds'>) {
  const accessToken = newWorkerToken(workerId);
  return {
    accessToken,
    tokenHash: hashSecret(accessToken),
    expiresAt: new Date(Date.now() + settings.workerTokenTtlSeconds * 1000),
  };
}
