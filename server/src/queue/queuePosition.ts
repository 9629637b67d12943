import { sql, type SqlClient } from '../db/sql.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';

/** What a build's place in the queue depends on. */
export interface QueuedBuild {
  id: string;
  status: BuildStatus;
  platform: Platform;
  priority: number;
  submittedAt: Date;
}

/**
 * A pending build's place among the pending builds of its platform in claim order (priority
 * descending, then oldest first: the order of "claimBuilds", prisma/functions/claimBuilds.sql), from 1; builds
 * submitted in the same millisecond are ordered by id. Required labels are not considered: a
 * worker offering none of a build's labels steps over it. Null for a build that is not pending.
 *
 * One statement of two counts, each a range of the platform's claim index (pending builds only,
 * migration 0007), so it costs the builds ahead of this one, never the history.
 */
export async function queuePosition(db: SqlClient, build: QueuedBuild): Promise<number | null> {
  if (build.status !== 'PENDING') return null;
  const [row] = await db.query<{ position: number }>(sql`
    SELECT (1
      + (SELECT count(*) FROM "Build" b WHERE b.status = 'PENDING' AND b.platform = ${build.platform}::"Platform"
           AND b.priority > ${build.priority}::int)
      + (SELECT count(*) FROM "Build" b WHERE b.status = 'PENDING' AND b.platform = ${build.platform}::"Platform"
           AND b.priority = ${build.priority}::int AND b."submittedAt" <= ${build.submittedAt}::timestamptz
           AND (b."submittedAt" < ${build.submittedAt}::timestamptz OR b.id < ${build.id}::uuid))
    )::int AS position`);
  return row.position;
}
