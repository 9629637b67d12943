import { sql } from '../db/sql.ts';

// IDLE and BUILDING follow "activeBuilds", which a trigger on "Build" keeps; DRAINING and OFFLINE
// change only through an admin or the offline scan. The rule itself is the SQL function
// "Worker_liveStatus" (prisma/functions/Worker_liveStatus.sql), which the trigger and the claim
// function call too.

/** The status of a worker row `w` coming back from OFFLINE or DRAINING: from the builds it still holds. */
export const RETURNING_WORKER_STATUS = sql`"Worker_liveStatus"('IDLE', w."activeBuilds")`;
