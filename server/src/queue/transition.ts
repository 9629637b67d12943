import { sql, type Sql, type SqlClient } from '../db/sql.ts';
import type { BuildStatus } from '../generated/prisma/enums.ts';
import { conflict } from '../errors.ts';
import { ACTIVE_STATUSES, insertTimelineRows, type LockedBuild } from './buildRows.ts';
import { assertNotified, buildChangeEvents, notifyRows } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';

export interface TransitionRequest {
  to: BuildStatus;
  actor: string;
  reason?: string;
  /** More `column = value` assignments for the same UPDATE of the build's row. */
  set?: Sql;
}

/**
 * Moves a locked build to a new status with a guarded WHERE (expected status, worker and
 * attempt), records the timeline event and raises the change events: one statement in the
 * caller's transaction, which holds the build's row lock (lockBuild). Throws CONFLICT when the
 * guard does not match, and then nothing changed.
 */
export async function transition(tx: SqlClient, build: LockedBuild, request: TransitionRequest): Promise<void> {
  // Only a worker still running the build is told about it (a requeued build keeps its last worker).
  const runningWorker = ACTIVE_STATUSES.includes(build.status) ? build.workerId : null;
  const events = buildChangeEvents({ buildId: build.id, status: request.to, platform: build.platform, workerId: runningWorker });
  const [result] = await tx.query<{ changed: number; notified: number }>(sql`
    WITH changed AS (
      UPDATE "Build" SET status = ${request.to}::"BuildStatus"${request.set ? sql`, ${request.set}` : sql``}
      WHERE id = ${build.id}::uuid AND status = ${build.status}::"BuildStatus"
        AND "workerId" IS NOT DISTINCT FROM ${build.workerId}::uuid AND attempt = ${build.attempt}::int
      RETURNING id
    ), event AS (
      ${insertTimelineRows(sql`changed`, { from: build.status, to: request.to, actor: request.actor, reason: request.reason ?? null })}
    )
    SELECT (SELECT count(*) FROM changed)::int AS changed, ${notifyRows(sql`changed`, events)} AS notified`);
  assertNotified('transition', result.changed, result.notified);
  if (result.changed !== 1) throw conflict('The build changed concurrently; try again');
  tx.afterCommit(() => recordTransition(build.status, request.to, build.startedAt));
}

/**
 * Returns a build that lost its worker to the queue while attempts remain, else fails it.
 * Used by rescue, unregister, revoke and retryable failures alike.
 */
export async function requeueOrFail(tx: SqlClient, build: LockedBuild, actor: string, reason: string): Promise<BuildStatus> {
  const attemptsRemain = build.attempt < build.maxAttempts;
  const to: BuildStatus = attemptsRemain ? 'PENDING' : 'FAILED';
  await transition(tx, build, {
    to,
    actor,
    reason,
    set: attemptsRemain
      ? // workerId stays: it names the worker of the last attempt until another one claims the build.
        sql`"assignedAt" = NULL, "startedAt" = NULL, "lastHeartbeatAt" = NULL, progress = 0, "errorMessage" = ${reason}`
      : sql`"finishedAt" = now(), "errorMessage" = ${`${reason} (after ${build.attempt} attempts)`}`,
  });
  return to;
}
