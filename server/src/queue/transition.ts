import { sql, type Sql, type SqlClient } from '../db/sql.ts';
import type { BuildStatus } from '../generated/prisma/enums.ts';
import { conflict } from '../errors.ts';
import { ACTIVE_STATUSES, type LockedBuild } from './buildRows.ts';
import { buildChangeEvents, notifyList, type BusEvent } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';

export interface TransitionRequest {
  to: BuildStatus;
  actor: string;
  reason?: string;
  /** More `column = value` assignments for the same UPDATE; they may read the guard row as `g`. */
  set?: Sql;
}

/**
 * The CTEs of a transition, for a statement that already holds the build's row lock: `changed`
 * updates the build named by the `guard` CTE (id, status, "workerId", attempt as locked) only
 * if it still matches, `event` records the timeline row and `notified` raises the events. A
 * statement made of these commits all of it or nothing. With `returnRow`, `changed` also holds
 * the build as written (`after`, as JSON), for a caller that answers with it.
 */
export function transitionSteps(guard: Sql, request: TransitionRequest, events: BusEvent[], options: { returnRow?: boolean } = {}): Sql {
  return sql`
    changed AS (
      UPDATE "Build" b SET status = ${request.to}::"BuildStatus"${request.set ? sql`, ${request.set}` : sql``}
      FROM ${guard} g
      WHERE b.id = g.id AND b.status = g.status AND b."workerId" IS NOT DISTINCT FROM g."workerId" AND b.attempt = g.attempt
      RETURNING b.id, g.status AS "fromStatus"${options.returnRow ? sql`, to_jsonb(b) AS after` : sql``}
    ), event AS (
      INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
      SELECT id, "fromStatus", ${request.to}::"BuildStatus", ${request.actor}, ${request.reason ?? null} FROM changed
    ), notified AS (
      SELECT ${notifyList(events)} FROM changed
    )`;
}

/**
 * Moves a locked build to a new status with a guarded WHERE (expected status, worker and
 * attempt), records the timeline event and raises the change events: one statement in the
 * caller's transaction. A guard that does not match changes nothing and is a CONFLICT.
 */
export async function transition(tx: SqlClient, build: LockedBuild, request: TransitionRequest): Promise<void> {
  // Only a worker still running the build is told about it (a requeued build keeps its last worker).
  const runningWorker = ACTIVE_STATUSES.includes(build.status) ? build.workerId : null;
  const events = buildChangeEvents({ buildId: build.id, status: request.to, platform: build.platform, workerId: runningWorker });
  const [result] = await tx.query<{ changed: number }>(sql`
    WITH guard AS (
      SELECT ${build.id}::uuid AS id, ${build.status}::"BuildStatus" AS status, ${build.workerId}::uuid AS "workerId", ${build.attempt}::int AS attempt
    ), ${transitionSteps(sql`guard`, request, events)}
    SELECT (SELECT count(*) FROM notified)::int AS changed`);
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
