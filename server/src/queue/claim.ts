import { buildFromRow } from '../db/modelRows.ts';
import { sql, type Sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import { RETURNING_WORKER_STATUS } from './workerStatus.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import { badInput, unauthenticated } from '../errors.ts';
import { EVENT_CHANNEL } from '../events/publish.ts';
import { claims, queueWait, recordTransition } from '../metrics/metrics.ts';

/** The claimed build's columns (all null when none), beside the worker as read for the errors. */
interface ClaimRow extends Record<string, unknown> {
  registered: Platform[];
  workerRevokedAt: Date | null;
  id: string | null;
  waitSeconds: number | null;
}

export interface ClaimRequest {
  workerId: string;
  /** Only these of the worker's platforms; null or empty: all it registered. */
  platforms?: Platform[] | null;
}

/** What a claim request got: its build, null when there was nothing for it, or its own error. */
export type ClaimOutcome = Build | null | Error;

/**
 * Gives each worker the most urgent pending build it can run. One request is one statement;
 * several run one after another in one transaction, workers in id order (the order every batch
 * takes their locks in), so they share one commit: PostgreSQL serialises the commits of
 * notifying transactions, so fewer commits is what lets many workers claim at once.
 */
export async function claimBuilds(pool: SqlPool, requests: ClaimRequest[]): Promise<ClaimOutcome[]> {
  const inLockOrder = [...requests].sort((a, b) => a.workerId.localeCompare(b.workerId));
  const rows = new Map<ClaimRequest, ClaimRow | undefined>();
  const claimEach = async (client: SqlClient) => {
    for (const request of inLockOrder) rows.set(request, (await client.query<ClaimRow>(claimStatement(request)))[0]);
  };
  // Alone, the statement is its own transaction.
  if (requests.length === 1) await claimEach(pool);
  else await pool.transaction(claimEach);
  return requests.map((request) => claimOutcome(rows.get(request), request));
}

/**
 * One claim: the worker row is locked first, so its count of running builds (kept by a trigger,
 * migration 0003) is the latest even against a parallel claim of its own; then a pending build of
 * its platforms is picked with FOR UPDATE SKIP LOCKED, assigned, its timeline row written and its
 * events raised. Concurrent claimers skip each other's rows, so every build goes to one worker.
 */
function claimStatement(request: ClaimRequest): Sql {
  const { workerId } = request;
  const requested = requestedPlatforms(request);
  const actor = `worker:${workerId}`;
  return sql`
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
      RETURNING b.*, extract(epoch FROM now() - b."submittedAt")::float8 AS "waitSeconds"
    ), event AS (
      INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
      SELECT id, 'PENDING', 'ASSIGNED', ${actor}, 'claimed, attempt ' || attempt FROM claimed
    ), notified AS (
      -- The BusEvent shapes of events/publish.ts, built in SQL: only the statement knows the build.
      SELECT pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'buildUpdated'::text, 'buildId', id, 'status', 'ASSIGNED'::text)::text),
        pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'workerUpdated'::text, 'workerId', ${workerId}::text)::text)
      FROM claimed
    )
    SELECT COALESCE(current.platforms, '{}')::text[] AS registered, current."revokedAt" AS "workerRevokedAt", claimed.*,
      (SELECT count(*) FROM notified)::int AS notified
    FROM (SELECT platforms, "revokedAt" FROM "Worker" WHERE id = ${workerId}::uuid) current LEFT JOIN claimed ON true`;
}

function requestedPlatforms(request: ClaimRequest): Platform[] | null {
  return request.platforms?.length ? request.platforms : null;
}

/** The request's answer from its row, and the claim's metrics. */
function claimOutcome(row: ClaimRow | undefined, request: ClaimRequest): ClaimOutcome {
  if (!row || row.workerRevokedAt) return unauthenticated('This worker has been revoked');
  const unsupported = (requestedPlatforms(request) ?? []).filter((platform) => !row.registered.includes(platform));
  // The statement locked nothing for a platform the worker did not register.
  if (unsupported.length > 0) return badInput(`This worker is not registered for ${unsupported.join(', ')}`);
  claims.inc({ outcome: row.id ? 'claimed' : 'empty' });
  if (!row.id) return null;
  recordTransition('PENDING', 'ASSIGNED');
  queueWait.observe(row.waitSeconds!);
  return buildFromRow(row);
}
