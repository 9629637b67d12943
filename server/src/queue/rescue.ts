import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { sql, type Sql, type SqlPool } from '../db/sql.ts';
import { logPassFailure } from '../db/connectionLoss.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import { publish } from '../events/publish.ts';
import { lockBuild } from './buildRows.ts';
import { purgeFinishedCerts } from './finish.ts';
import { requeueOrFail, transition } from './transition.ts';
import { releaseBuilds } from './workers.ts';

type RescueSettings = Pick<Config, 'rescueIntervalSeconds' | 'workerOfflineSeconds'>;

const BATCH = 100;

/**
 * One pass of the background work. Every server process runs it: candidates are taken with
 * FOR UPDATE SKIP LOCKED and each change re-checks its guard, so processes running at once
 * neither collide nor act twice.
 */
export async function rescuePass(pool: SqlPool, storage: ObjectStorage, settings: RescueSettings) {
  const lostHeartbeat = await rescueStaleHeartbeats(pool);
  const timedOut = await failTimedOutBuilds(pool);
  const offline = await markOfflineWorkers(pool, settings.workerOfflineSeconds);
  const certsPurged = await purgeFinishedCerts(pool, storage);
  const uploadsExpired = await deleteExpiredUploads(pool, storage);
  return { lostHeartbeat, timedOut, offline, certsPurged, uploadsExpired };
}

/**
 * The ids of a batch of builds locked by `lockedBuilds`, sorted by worker. Each transition then
 * locks its build's worker (the trigger counting a worker's builds), so batches take worker locks
 * in one order and two processes' rescue passes cannot deadlock on them.
 */
function inWorkerOrder(lockedBuilds: Sql): Sql {
  return sql`SELECT id FROM (${lockedBuilds}) locked ORDER BY "workerId"`;
}

/** Builds whose worker stopped heartbeating go back to the queue (or fail, out of attempts). */
async function rescueStaleHeartbeats(pool: SqlPool): Promise<number> {
  return pool.transaction(async (tx) => {
    const stale = await tx.query<{ id: string }>(
      inWorkerOrder(sql`
      SELECT id, "workerId" FROM "Build"
      -- ACTIVE_STATUSES spelled out: as a parameter the planner cannot match the partial index
      -- "Build_status_startedAt_idx" (migration 0009) and scans the whole table instead.
      WHERE status IN ('ASSIGNED', 'BUILDING')
        AND "lastHeartbeatAt" < now() - make_interval(secs => "heartbeatTimeoutSeconds")
      ORDER BY "lastHeartbeatAt" LIMIT ${BATCH}::int FOR UPDATE SKIP LOCKED`),
    );
    for (const { id } of stale) {
      const build = await lockBuild(tx, id);
      await requeueOrFail(tx, build, 'system', 'heartbeat timed out');
    }
    return stale.length;
  });
}

/** Builds running past their timeoutSeconds fail; they are not retried. */
async function failTimedOutBuilds(pool: SqlPool): Promise<number> {
  return pool.transaction(async (tx) => {
    const late = await tx.query<{ id: string }>(
      inWorkerOrder(sql`
      SELECT id, "workerId" FROM "Build"
      WHERE status = 'BUILDING' AND "startedAt" < now() - make_interval(secs => "timeoutSeconds")
      ORDER BY "startedAt" LIMIT ${BATCH}::int FOR UPDATE SKIP LOCKED`),
    );
    for (const { id } of late) {
      const build = await lockBuild(tx, id);
      await transition(tx, build, {
        to: 'FAILED',
        actor: 'system',
        reason: 'timed out',
        set: sql`"finishedAt" = now(), "errorMessage" = 'The build ran past its timeoutSeconds and was stopped'`,
      });
      if (build.workerId) await publish(tx, { topic: 'workerEvents', workerId: build.workerId, kind: 'CANCEL_BUILD', buildId: id });
    }
    return late.length;
  });
}

/** Workers not seen for a while go OFFLINE and lose their builds. */
async function markOfflineWorkers(pool: SqlPool, offlineSeconds: number): Promise<number> {
  const candidates = await pool.query<{ id: string }>(sql`
    SELECT id FROM "Worker"
    WHERE status <> 'OFFLINE' AND "lastSeenAt" < now() - make_interval(secs => ${offlineSeconds}::float8)
    LIMIT ${BATCH}::int`);
  let marked = 0;
  for (const { id } of candidates) {
    const wentOffline = await pool
      .transaction(async (tx) => {
        // Builds are locked before the worker, the order every other transition uses.
        await releaseBuilds(tx, id, 'system', 'worker went offline');
        const count = await tx.execute(sql`
          UPDATE "Worker" SET status = 'OFFLINE'
          WHERE id = ${id}::uuid AND status <> 'OFFLINE' AND "lastSeenAt" < now() - make_interval(secs => ${offlineSeconds}::float8)`);
        // Seen meanwhile (or handled by another process): undo the releases.
        if (count === 0) throw new StillAlive();
        await publish(tx, { topic: 'workerUpdated', workerId: id });
      })
      .then(
        () => true,
        (error) => {
          if (error instanceof StillAlive) return false;
          throw error;
        },
      );
    if (wentOffline) marked += 1;
  }
  return marked;
}

class StillAlive extends Error {}

/**
 * Uploads never used by a build are deleted after they expire (with an hour's slack), with their
 * bytes and, in object storage, a multipart upload never completed (its parts would be kept, and
 * billed, for ever).
 */
async function deleteExpiredUploads(pool: SqlPool, storage: ObjectStorage): Promise<number> {
  const expired = await pool.query<{ id: string; storageKey: string; multipartUploadId: string | null; completedAt: Date | null }>(sql`
    SELECT id, "storageKey", "multipartUploadId", "completedAt" FROM "Upload"
    WHERE "consumedAt" IS NULL AND "expiresAt" < now() - interval '1 hour' LIMIT ${BATCH}::int`);
  for (const upload of expired) {
    const deleted = await pool.execute(sql`DELETE FROM "Upload" WHERE id = ${upload.id}::uuid AND "consumedAt" IS NULL`);
    if (deleted !== 1) continue;
    if (upload.multipartUploadId && !upload.completedAt) await storage.direct?.abortMultipart(upload.storageKey, upload.multipartUploadId);
    await storage.delete(upload.storageKey);
  }
  return expired.length;
}

/** Runs rescue passes on a timer until stopped; a failed pass is logged and the next one tries again. */
export function startRescueLoop(pool: SqlPool, storage: ObjectStorage, settings: RescueSettings, log: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = rescuePass(pool, storage, settings)
      .then((result) => {
        if (Object.values(result).some((count) => count > 0)) log.info(result, 'rescue pass');
      })
      .catch((error) => logPassFailure(log, error, {}, 'rescue pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, settings.rescueIntervalSeconds * 1000);
      });
  };
  timer = setTimeout(tick, settings.rescueIntervalSeconds * 1000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
