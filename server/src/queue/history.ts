import { sql, type Sql, type SqlClient } from '../db/sql.ts';
import { badInput } from '../errors.ts';
import { FINISHED_STATUSES } from './buildRows.ts';
import type { Percentiles } from './stats.ts';
import { assertIntegerInRange } from './validate.ts';

/** One time bucket of buildHistory. */
export interface HistoryBucket {
  /** Where the bucket starts; it ends where the next one starts. */
  at: Date;
  completed: number;
  failed: number;
  cancelled: number;
  /** Claims made in it (a requeued build is claimed again). */
  claimed: number;
  /** Submit-to-claim wait of those claims, in seconds. */
  queueWaitSeconds: Percentiles;
}

export const HISTORY_LIMITS = { maxHours: 48, maxBucketMinutes: 60, maxBuckets: 500 };

/**
 * The buckets covering the last `hours`: how many there are and how wide (seconds). Throws
 * BAD_USER_INPUT for hours outside 1..48, bucketMinutes outside 1..60, or more than 500 buckets.
 */
export function historyBuckets(hours: number, bucketMinutes: number): { count: number; widthSeconds: number } {
  assertIntegerInRange(hours, 1, HISTORY_LIMITS.maxHours, 'hours');
  assertIntegerInRange(bucketMinutes, 1, HISTORY_LIMITS.maxBucketMinutes, 'bucketMinutes');
  const count = Math.ceil((hours * 60) / bucketMinutes);
  if (count > HISTORY_LIMITS.maxBuckets)
    throw badInput(`hours / bucketMinutes makes ${count} buckets; at most ${HISTORY_LIMITS.maxBuckets}: use wider buckets`);
  return { count, widthSeconds: bucketMinutes * 60 };
}

/**
 * Builds finished (COMPLETED, FAILED, CANCELLED) and claims made per time bucket over the last
 * `hours`, with the claims' queue wait percentiles, oldest bucket first. Buckets start at multiples
 * of their width since the epoch (so they stay put between refreshes); the last one holds now and
 * is still filling. Empty buckets are included.
 *
 * One statement of two index range scans: finished builds through "Build_finishedAt_idx" (migration
 * 0008), claims through "BuildEvent_at_idx" (migration 0012) with each claim's build by primary key.
 * A claim's wait is from the build's submission, so a requeued build's later claim counts the time
 * its earlier attempts took as well.
 */
export async function buildHistory(db: SqlClient, hours: number, bucketMinutes: number): Promise<HistoryBucket[]> {
  const { count, widthSeconds } = historyBuckets(hours, bucketMinutes);
  const width = sql`${widthSeconds}::int`;
  const bucketOf = (at: Sql) => sql`floor(extract(epoch FROM ${at} - (SELECT start FROM bounds)) / ${width})::int`;
  const seconds = sql`extract(epoch FROM e.at - b."submittedAt")`;
  const rows = await db.query<{
    at: Date;
    completed: number;
    failed: number;
    cancelled: number;
    claimed: number;
    p50: number | null;
    p95: number | null;
    p99: number | null;
  }>(sql`
    WITH bounds AS (
      SELECT to_timestamp(((floor(extract(epoch FROM now()) / ${width}) + 1 - ${count}::int) * ${width})::float8) AS start
    ), finished AS (
      SELECT ${bucketOf(sql`b."finishedAt"`)} AS i,
        count(*) FILTER (WHERE b.status = 'COMPLETED')::int AS completed,
        count(*) FILTER (WHERE b.status = 'FAILED')::int AS failed,
        count(*) FILTER (WHERE b.status = 'CANCELLED')::int AS cancelled
      FROM "Build" b
      WHERE b."finishedAt" >= (SELECT start FROM bounds) AND b.status = ANY(${FINISHED_STATUSES}::"BuildStatus"[])
      GROUP BY 1
    ), claims AS (
      SELECT ${bucketOf(sql`e.at`)} AS i, count(*)::int AS claimed,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ${seconds})::float8 AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY ${seconds})::float8 AS p95,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY ${seconds})::float8 AS p99
      FROM "BuildEvent" e JOIN "Build" b ON b.id = e."buildId"
      WHERE e."toStatus" = 'ASSIGNED' AND e.at >= (SELECT start FROM bounds)
      GROUP BY 1
    )
    SELECT (SELECT start FROM bounds) + make_interval(secs => (i * ${width})::float8) AS at,
      COALESCE(f.completed, 0) AS completed, COALESCE(f.failed, 0) AS failed, COALESCE(f.cancelled, 0) AS cancelled,
      COALESCE(c.claimed, 0) AS claimed, c.p50, c.p95, c.p99
    FROM generate_series(0, ${count}::int - 1) AS i
    LEFT JOIN finished f USING (i) LEFT JOIN claims c USING (i)
    ORDER BY i`);
  return rows.map(({ p50, p95, p99, ...bucket }) => ({ ...bucket, queueWaitSeconds: { p50, p95, p99 } }));
}
