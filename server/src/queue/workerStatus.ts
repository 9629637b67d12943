import { sql, type Sql } from '../db/sql.ts';

// IDLE and BUILDING follow "activeBuilds", which a trigger on "Build" keeps (migration 0003);
// DRAINING and OFFLINE change only through an admin or the offline scan.

/** The status of a worker row `w` coming back from OFFLINE or DRAINING: from the builds it still holds. */
export const RETURNING_WORKER_STATUS = sql`CASE WHEN w."activeBuilds" > 0 THEN 'BUILDING'::"WorkerStatus" ELSE 'IDLE'::"WorkerStatus" END`;

/**
 * The UPDATE that counts the outcome of a worker's build (in SQL, never read-modify-write).
 * `when` makes it conditional on the rest of the statement it is part of.
 */
export function countOutcomeStep(workerId: string, outcome: 'completed' | 'failed', when?: Sql): Sql {
  const completed = outcome === 'completed' ? 1 : 0;
  return sql`
    UPDATE "Worker" w SET
      "buildsCompleted" = w."buildsCompleted" + ${completed}::int,
      "buildsFailed" = w."buildsFailed" + ${1 - completed}::int
    WHERE w.id = ${workerId}::uuid${when ? sql` AND ${when}` : sql``}`;
}
