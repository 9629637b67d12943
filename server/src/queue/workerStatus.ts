import { sql, type Sql, type SqlClient } from '../db/sql.ts';

/**
 * BUILDING when the worker row `w` holds an ASSIGNED or BUILDING build (other than `ended`, one
 * the same statement finishes and so still sees as running), else IDLE.
 */
export function heldBuildsStatus(ended?: string): Sql {
  return sql`CASE WHEN EXISTS (
      SELECT 1 FROM "Build" b WHERE b."workerId" = w.id AND b.status IN ('ASSIGNED', 'BUILDING')${ended ? sql` AND b.id <> ${ended}::uuid` : sql``}
    ) THEN 'BUILDING'::"WorkerStatus" ELSE 'IDLE'::"WorkerStatus" END`;
}

/**
 * Sets IDLE/BUILDING from the builds a worker actually holds. DRAINING and OFFLINE are left
 * alone: only an admin or the offline scan changes those.
 */
export async function refreshWorkerStatus(tx: SqlClient, workerIds: (string | null)[]): Promise<void> {
  const ids = [...new Set(workerIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return;
  await tx.execute(sql`
    UPDATE "Worker" w SET status = ${heldBuildsStatus()}
    WHERE w.id = ANY(${ids}::uuid[]) AND w.status IN ('IDLE', 'BUILDING')`);
}

/**
 * The UPDATE that settles a worker whose build ended: counts the outcome (in SQL, never
 * read-modify-write) and sets its status from the builds it still holds. The ended build is
 * left out by id, so the update is right also inside the statement that ends it (which cannot
 * see its own change). `when` makes it conditional on the rest of that statement.
 */
export function settleWorkerStep(workerId: string, endedBuildId: string, outcome: 'completed' | 'failed', when?: Sql): Sql {
  const completed = outcome === 'completed' ? 1 : 0;
  return sql`
    UPDATE "Worker" w SET
      "buildsCompleted" = w."buildsCompleted" + ${completed}::int,
      "buildsFailed" = w."buildsFailed" + ${1 - completed}::int,
      status = CASE WHEN w.status NOT IN ('IDLE', 'BUILDING') THEN w.status ELSE ${heldBuildsStatus(endedBuildId)} END
    WHERE w.id = ${workerId}::uuid${when ? sql` AND ${when}` : sql``}`;
}
