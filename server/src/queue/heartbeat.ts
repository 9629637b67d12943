import type { Config } from '../config/config.ts';
import { sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import { badInput, conflict, forbidden } from '../errors.ts';
import { notifyList, publish } from '../events/publish.ts';
import type { Principal } from '../auth/principal.ts';
import { hashSecret, newWorkerToken } from '../auth/secrets.ts';
import { lockBuild } from './buildRows.ts';
import { transition } from './transition.ts';
import { refreshWorkerStatus } from './workerStatus.ts';
import { assertId, assertIntegerInRange } from './validate.ts';

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
 * rotates its access token when close to expiry.
 */
export async function heartbeat(
  pool: SqlPool,
  settings: TokenSettings,
  worker: WorkerPrincipal,
  input: { buildId?: string | null; progress?: number | null },
): Promise<HeartbeatResult> {
  const buildId = input.buildId ? assertId(input.buildId, 'buildId') : null;
  const progress = input.progress == null ? null : assertIntegerInRange(input.progress, 0, 100, 'progress');
  if (progress !== null && !buildId) throw badInput('progress needs a buildId');
  return pool.transaction(async (tx) => {
    // Locks are always taken build first, then worker (as completion and cancellation do), so
    // concurrent calls about one worker cannot deadlock.
    const cancelRequested = buildId ? await beatBuild(tx, worker.workerId, buildId, progress) : false;
    const cameBack = await markSeen(tx, worker.workerId);
    if (cameBack) await refreshWorkerStatus(tx, [worker.workerId]);
    const rotated = await rotateTokenIfDue(tx, settings, worker);
    return { buildId, cancelRequested, accessToken: rotated?.accessToken ?? null, expiresAt: rotated?.expiresAt ?? null };
  });
}

/** Returns true when an OFFLINE worker has come back. */
async function markSeen(tx: SqlClient, workerId: string): Promise<boolean> {
  const [row] = await tx.query<{ wasOffline: boolean }>(sql`
    WITH before AS (SELECT id, status FROM "Worker" WHERE id = ${workerId}::uuid FOR UPDATE)
    UPDATE "Worker" w SET "lastSeenAt" = now(),
      status = CASE WHEN before.status = 'OFFLINE' THEN 'IDLE'::"WorkerStatus" ELSE before.status END
    FROM before WHERE w.id = before.id
    RETURNING before.status = 'OFFLINE' AS "wasOffline"`);
  if (row?.wasOffline) await publish(tx, { topic: 'workerUpdated', workerId });
  return row?.wasOffline ?? false;
}

async function beatBuild(tx: SqlClient, workerId: string, buildId: string, progress: number | null): Promise<boolean> {
  const build = await lockBuild(tx, buildId);
  if (build.workerId !== workerId) throw forbidden('This build is not assigned to this worker');
  // A cancelled build is not an error for its worker: the answer tells it to stop.
  if (build.status === 'CANCELLED') return true;
  if (build.status !== 'ASSIGNED' && build.status !== 'BUILDING') throw conflict(`The build is ${build.status}`, { status: build.status });
  const beat = sql`"lastHeartbeatAt" = now()${progress === null ? sql`` : sql`, progress = ${progress}::int`}`;
  if (build.status === 'ASSIGNED') {
    await transition(tx, build, { to: 'BUILDING', actor: `worker:${workerId}`, reason: 'started', set: sql`"startedAt" = now(), ${beat}` });
    return false;
  }
  // The row is locked and checked above: the update cannot miss. Progress is news for the console.
  await tx.query(sql`
    WITH beat AS (UPDATE "Build" SET ${beat} WHERE id = ${buildId}::uuid)
    SELECT ${progress === null ? sql`1` : notifyList([{ topic: 'buildUpdated', buildId, status: 'BUILDING' }])}`);
  return false;
}

/**
 * A token in its last third of life is replaced; the old one stays valid for a short grace so
 * requests already in flight succeed. The WHERE on the current hash makes two concurrent
 * heartbeats rotate once.
 */
async function rotateTokenIfDue(tx: SqlClient, settings: TokenSettings, worker: WorkerPrincipal) {
  if (worker.usingPreviousToken) return null;
  const remainingMs = worker.tokenExpiresAt.getTime() - Date.now();
  if (remainingMs > (settings.workerTokenTtlSeconds * 1000) / 3) return null;
  const issued = issueWorkerToken(worker.workerId, settings);
  const previousValidUntil = new Date(Math.min(Date.now() + settings.workerTokenGraceSeconds * 1000, worker.tokenExpiresAt.getTime()));
  const count = await tx.execute(sql`
    UPDATE "Worker" SET "tokenHash" = ${issued.tokenHash}, "tokenExpiresAt" = ${issued.expiresAt},
      "previousTokenHash" = ${worker.tokenHash}, "previousTokenValidUntil" = ${previousValidUntil}
    WHERE id = ${worker.workerId}::uuid AND "tokenHash" = ${worker.tokenHash}`);
  if (count !== 1) return null;
  // The old token now lives only for the grace period: other processes must not trust it longer.
  await publish(tx, { topic: 'credentialsChanged', workerId: worker.workerId });
  return issued;
}

export function issueWorkerToken(workerId: string, settings: Pick<Config, 'workerTokenTtlSeconds'>) {
  const accessToken = newWorkerToken(workerId);
  return {
    accessToken,
    tokenHash: hashSecret(accessToken),
    expiresAt: new Date(Date.now() + settings.workerTokenTtlSeconds * 1000),
  };
}
