import { sql, type SqlPool } from '../db/sql.ts';
import { RETURNING_WORKER_STATUS } from './workerStatus.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import { badInput, unauthenticated } from '../errors.ts';
import { EVENT_CHANNEL } from '../events/publish.ts';
import { claimDuration, claims, queueWait, recordTransition } from '../metrics/metrics.ts';

interface ClaimRow {
  /** The worker as read, for the error when nothing was locked: its platforms, revoked or not. */
  registered: Platform[];
  revokedAt: Date | null;
  id: string | null;
  waitSeconds: number | null;
}

/**
 * Gives the worker the most urgent pending build it can run, or null. One statement: the worker
 * row is locked first, so its count of running builds (kept by a trigger, migration 0003) is the
 * latest even against a parallel claim of its own; then a pending build of its platforms is
 * picked with FOR UPDATE SKIP LOCKED, assigned, its timeline row written and its events raised.
 * Concurrent claimers skip each other's rows, so every build goes to exactly one worker.
 */
export async function claimBuild(pool: SqlPool, options: { workerId: string; platforms?: Platform[] | null }): Promise<string | null> {
  const { workerId } = options;
  const requested = options.platforms?.length ? options.platforms : null;
  const actor = `worker:${workerId}`;
  const endTimer = claimDuration.startTimer();
  const [row] = await pool.query<ClaimRow>(sql`
    WITH worker AS (
      UPDATE "Worker" w SET "lastSeenAt" = now(),
        status = CASE WHEN w.status = 'OFFLINE' THEN ${RETURNING_WORKER_STATUS} ELSE w.status END
      WHERE w.id = ${workerId}::uuid AND w."revokedAt" IS NULL
        AND (${requested}::"Platform"[] IS NULL OR ${requested}::"Platform"[] <@ w.platforms)
      RETURNING COALESCE(${requested}::"Platform"[], w.platforms) AS platforms,
        w.status <> 'DRAINING' AND w."activeBuilds" < w."maxConcurrentBuilds" AS free
    ), candidate AS (
      SELECT id FROM "Build"
      WHERE (SELECT free FROM worker) AND status = 'PENDING' AND platform = ANY((SELECT platforms FROM worker)::"Platform"[])
      ORDER BY priority DESC, "submittedAt" ASC
      LIMIT 1 FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE "Build" b SET status = 'ASSIGNED', "workerId" = ${workerId}::uuid, "assignedAt" = now(),
        "lastHeartbeatAt" = now(), attempt = b.attempt + 1, progress = 0
      FROM candidate WHERE b.id = candidate.id
      RETURNING b.id, b.attempt, extract(epoch FROM now() - b."submittedAt")::float8 AS "waitSeconds"
    ), event AS (
      INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
      SELECT id, 'PENDING', 'ASSIGNED', ${actor}, 'claimed, attempt ' || attempt FROM claimed
    ), notified AS (
      -- The BusEvent shapes of events/publish.ts, built in SQL: only the statement knows the build.
      SELECT pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'buildUpdated'::text, 'buildId', id, 'status', 'ASSIGNED'::text)::text),
        pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'workerUpdated'::text, 'workerId', ${workerId}::text)::text)
      FROM claimed
    )
    SELECT COALESCE(current.platforms, '{}')::text[] AS registered, current."revokedAt", claimed.id, claimed."waitSeconds",
      (SELECT count(*) FROM notified)::int AS notified
    FROM (SELECT platforms, "revokedAt" FROM "Worker" WHERE id = ${workerId}::uuid) current LEFT JOIN claimed ON true`);
  endTimer();
  if (!row || row.revokedAt) throw unauthenticated('This worker has been revoked');
  assertClaimablePlatforms(row.registered, requested);
  claims.inc({ outcome: row.id ? 'claimed' : 'empty' });
  if (!row.id) return null;
  recordTransition('PENDING', 'ASSIGNED');
  queueWait.observe(row.waitSeconds!);
  return row.id;
}

/** A worker may ask only for platforms it registered; the statement then locked nothing. */
function assertClaimablePlatforms(registered: Platform[], requested: Platform[] | null): void {
  const unsupported = (requested ?? []).filter((platform) => !registered.includes(platform));
  if (unsupported.length > 0) throw badInput(`This worker is not registered for ${unsupported.join(', ')}`);
}
