import { sql } from '../db/sql.ts';

// IDLE and BUILDING follow "activeBuilds", which a trigger on "Build" keeps (migration 0003);
// DRAINING and OFFLINE change only through an admin or the offline scan.

/** The status of a worker row `w` coming back from OFFLINE or DRAINING: from the builds it still holds. */
export const RETURNING_WORKER_STATUS = sql`CASE WHEN w."activeBuilds" > 0 THEN 'BUILDING'::"WorkerStatus" ELSE 'IDLE'::"WorkerStatus" END`;
