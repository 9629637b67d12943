import { Sql, sql, type SqlClient } from '../db/sql.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';
import { forbidden, notFound, conflict } from '../errors.ts';

/** The part of a build a transition decides on, read under a row lock. */
export interface LockedBuild {
  id: string;
  status: BuildStatus;
  platform: Platform;
  workerId: string | null;
  attempt: number;
  maxAttempts: number;
  certsKey: string | null;
  startedAt: Date | null;
}

export const ACTIVE_STATUSES: BuildStatus[] = ['ASSIGNED', 'BUILDING'];
export const FINISHED_STATUSES: BuildStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The columns of LockedBuild, for statements that lock a build and read more. */
export const LOCKED_BUILD_COLUMNS = sql`id, status, platform, "workerId", attempt, "maxAttempts", "certsKey", "startedAt"`;

/**
 * A data-modifying statement that adds a timeline row ("BuildEvent") for each build of `rows` (what
 * follows FROM: a CTE of the changed builds, with their id in `id`), for the statement that changed
 * them. `from` and `to` are a status or SQL reading one from `rows`; `from` is null for a new build.
 * The one TypeScript copy of this insert; the "claimBuilds" function writes its own in plpgsql.
 */
export function insertTimelineRows(
  rows: Sql,
  event: { from: BuildStatus | Sql | null; to: BuildStatus | Sql; actor: string; reason: string | null },
): Sql {
  const status = (value: BuildStatus | Sql | null) => (value instanceof Sql ? value : sql`${value}::"BuildStatus"`);
  return sql`INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
    SELECT id, ${status(event.from)}, ${status(event.to)}, ${event.actor}::text, ${event.reason}::text FROM ${rows}`;
}

/** Locks the build row for the rest of the transaction, so the checks below cannot go stale. */
export async function lockBuild(tx: SqlClient, buildId: string): Promise<LockedBuild> {
  const [build] = await tx.query<LockedBuild>(sql`SELECT ${LOCKED_BUILD_COLUMNS} FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE`);
  if (!build) throw notFound('Build');
  return build;
}

/**
 * A worker may act only on builds assigned to it, only while they run and, when its call names the
 * attempt it runs, only on that attempt: a build taken back and claimed again by the same worker is
 * on a new attempt, and a report of the old run must not finish it. Throws FORBIDDEN or CONFLICT.
 */
export function assertOwnActiveBuild(build: LockedBuild, workerId: string, attempt: number | null = null): void {
  if (build.workerId !== workerId) throw forbidden('This build is not assigned to this worker');
  if (!ACTIVE_STATUSES.includes(build.status)) throw conflict(`The build is ${build.status}`, { status: build.status });
  assertCurrentAttempt(build, attempt);
}

/** Throws CONFLICT when `attempt` is given and the build is on another one (see assertOwnActiveBuild). */
export function assertCurrentAttempt(build: Pick<LockedBuild, 'attempt'>, attempt: number | null): void {
  if (attempt !== null && attempt !== build.attempt)
    throw conflict(`This is for attempt ${attempt}, but the build is on attempt ${build.attempt}`, { attempt: build.attempt });
}
