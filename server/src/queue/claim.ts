import { sql, type SqlPool } from '../db/sql.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import { badInput, unauthenticated } from '../errors.ts';
import { EVENT_CHANNEL } from '../events/publish.ts';
import { claimDuration, claims, queueWait, recordTransition } from '../metrics/metrics.ts';

interface WorkerForClaim {
  status: string;
  revokedAt: Date | null;
  platforms: Platform[];
  maxConcurrentBuilds: number;
  activeBuilds: number;
}

interface ClaimedBuild {
  id: string;
  platform: Platform;
  waitSeconds: number;
}

/**
 * Gives the worker the most urgent pending build it can run, or null. One
 * transaction: the worker row is locked (so its concurrency check cannot race a parallel
 * claim of its own), then a single statement picks a row with FOR UPDATE SKIP LOCKED, assigns
 * it under a guarded WHERE and writes the timeline event. Concurrent claimers skip each other's
 * rows, so every build goes to exactly one worker.
 */
export async function claimBuild(
  pool: SqlPool,
  options: { workerId: string; platforms?: Platform[] | null; timeoutMs: number },
): Promise<string | null> {
  const { workerId } = options;
  const endTimer = claimDuration.startTimer();
  const claimed = await pool.transaction(
    async (tx) => {
      const [worker] = await tx.query<WorkerForClaim>(sql`
        SELECT w.status, w."revokedAt", w.platforms::text[] AS platforms, w."maxConcurrentBuilds",
          (SELECT count(*)::int FROM "Build" b WHERE b."workerId" = w.id AND b.status IN ('ASSIGNED', 'BUILDING')) AS "activeBuilds"
        FROM "Worker" w WHERE w.id = ${workerId}::uuid FOR UPDATE`);
      if (!worker || worker.revokedAt) throw unauthenticated('This worker has been revoked');
      const platforms = claimablePlatforms(worker.platforms, options.platforms);
      if (worker.status === 'DRAINING' || worker.activeBuilds >= worker.maxConcurrentBuilds || platforms.length === 0) {
        await tx.execute(sql`UPDATE "Worker" SET "lastSeenAt" = now() WHERE id = ${workerId}::uuid`);
        return null;
      }
      const actor = `worker:${workerId}`;
      // One statement: pick, assign, record the timeline event, update the worker and raise the
      // events (their JSON is the BusEvent shape of events/publish.ts, built in SQL).
      const [build] = await tx.query<ClaimedBuild>(sql`
        WITH candidate AS (
          SELECT id FROM "Build"
          WHERE status = 'PENDING' AND platform = ANY(${platforms}::"Platform"[])
          ORDER BY priority DESC, "submittedAt" ASC
          LIMIT 1 FOR UPDATE SKIP LOCKED
        ), claimed AS (
          UPDATE "Build" b SET status = 'ASSIGNED', "workerId" = ${workerId}::uuid, "assignedAt" = now(),
            "lastHeartbeatAt" = now(), attempt = b.attempt + 1, progress = 0
          FROM candidate WHERE b.id = candidate.id AND b.status = 'PENDING'
          RETURNING b.id, b.platform, b.attempt, extract(epoch FROM now() - b."submittedAt")::float8 AS "waitSeconds"
        ), event AS (
          INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
          SELECT id, 'PENDING', 'ASSIGNED', ${actor}, 'claimed, attempt ' || attempt FROM claimed
        ), seen AS (
          UPDATE "Worker" SET "lastSeenAt" = now(), status = CASE
            WHEN EXISTS (SELECT 1 FROM claimed) THEN 'BUILDING'::"WorkerStatus"
            WHEN status = 'OFFLINE' THEN 'IDLE'::"WorkerStatus" ELSE status END
          WHERE id = ${workerId}::uuid
        )
        SELECT id, platform, "waitSeconds",
          pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'buildUpdated'::text, 'buildId', id, 'status', 'ASSIGNED'::text)::text)::text AS "notifiedBuild",
          pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'workerUpdated'::text, 'workerId', ${workerId}::text)::text)::text AS "notifiedWorker"
        FROM claimed`);
      return build ?? null;
    },
    { timeoutMs: options.timeoutMs },
  );
  endTimer();
  claims.inc({ outcome: claimed ? 'claimed' : 'empty' });
  if (claimed) {
    recordTransition('PENDING', 'ASSIGNED');
    queueWait.observe(claimed.waitSeconds);
  }
  return claimed?.id ?? null;
}

/** The platforms asked for, limited to those the worker registered; asking for others is an error. */
function claimablePlatforms(registered: Platform[], requested?: Platform[] | null): Platform[] {
  if (!requested || requested.length === 0) return registered;
  const unsupported = requested.filter((platform) => !registered.includes(platform));
  if (unsupported.length > 0) throw badInput(`This worker is not registered for ${unsupported.join(', ')}`);
  return requested;
}
