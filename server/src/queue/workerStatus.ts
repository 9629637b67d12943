import type { Tx } from '../db/client.ts';

/**
 * Sets IDLE/BUILDING from the builds a worker actually holds. DRAINING and OFFLINE are left
 * alone: only an admin or the offline scan changes those.
 */
export async function refreshWorkerStatus(tx: Tx, workerIds: (string | null)[]): Promise<void> {
  const ids = [...new Set(workerIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return;
  await tx.$executeRaw`
    UPDATE "Worker" w SET status = CASE
      WHEN EXISTS (SELECT 1 FROM "Build" b WHERE b."workerId" = w.id AND b.status IN ('ASSIGNED', 'BUILDING'))
      THEN 'BUILDING'::"WorkerStatus" ELSE 'IDLE'::"WorkerStatus" END
    WHERE w.id = ANY(${ids}::uuid[]) AND w.status IN ('IDLE', 'BUILDING')`;
}
