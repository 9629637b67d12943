import type { Database } from '../db/client.ts';
import { compile, sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { BuildStatus, Platform, WorkerStatus } from '../generated/prisma/enums.ts';
import { FINISHED_STATUSES } from './buildRows.ts';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type BuildCount = { status: BuildStatus; platform: Platform; count: number };

export interface QueueStats {
  byStatusAndPlatform: BuildCount[];
  workersByStatus: { status: WorkerStatus; count: number }[];
  finishedToday: number;
  /** Builds finished since midnight (database time zone), by status and platform. */
  finishedTodayByStatus: BuildCount[];
  /** When the oldest pending build was submitted, and its age in seconds as of this computation; null when none waits. */
  oldestPending: { submittedAt: Date; seconds: number } | null;
  queueWaitSeconds: Percentiles;
  buildDurationSeconds: Percentiles;
}

const WINDOW = '24 hours';

/**
 * Counts and the last day's percentiles, each in one aggregate query. Every query reads through
 * an index what is running or recent (migration 0008), never the whole build history: the feed
 * recomputes them every second while a console watches.
 */
export async function queueStats(db: Database): Promise<QueueStats> {
  const [byStatusAndPlatform, workersByStatus, finishedToday, oldestPending, wait, duration] = await Promise.all([
    countBuilds(db, { finishedWithin: WINDOW }),
    db.$queryRaw<{ status: WorkerStatus; count: number }[]>`
      SELECT status, count(*)::int AS count FROM "Worker" WHERE "revokedAt" IS NULL GROUP BY status ORDER BY status`,
    db.$queryRaw<BuildCount[]>`
      SELECT status, platform, count(*)::int AS count FROM "Build"
      WHERE "finishedAt" >= date_trunc('day', now()) AND status = ANY(${FINISHED_STATUSES}::"BuildStatus"[])
      GROUP BY status, platform ORDER BY status, platform`,
    // Materialised, so the pending builds are read through the claim index (migration 0007): as a
    // min() the planner may walk "submittedAt"'s index from the oldest build ever, and pending ones
    // are the newest.
    db.$queryRaw<{ submittedAt: Date; seconds: number }[]>`
      WITH pending AS MATERIALIZED (SELECT "submittedAt" FROM "Build" WHERE status = 'PENDING')
      SELECT min("submittedAt") AS "submittedAt", extract(epoch FROM now() - min("submittedAt"))::float8 AS seconds
      FROM pending HAVING count(*) > 0`,
    db.$queryRaw<Percentiles[]>`
      SELECT ${percentileSql('assignedAt', 'submittedAt')} FROM "Build"
      WHERE "submittedAt" >= now() - ${WINDOW}::interval AND "assignedAt" IS NOT NULL`,
    db.$queryRaw<Percentiles[]>`
      SELECT ${percentileSql('finishedAt', 'startedAt')} FROM "Build"
      WHERE "finishedAt" >= now() - ${WINDOW}::interval AND status = 'COMPLETED'`,
  ]);
  return {
    byStatusAndPlatform,
    workersByStatus,
    finishedToday: finishedToday.reduce((sum, row) => sum + row.count, 0),
    finishedTodayByStatus: finishedToday,
    oldestPending: oldestPending[0] ?? null,
    queueWaitSeconds: wait[0],
    buildDurationSeconds: duration[0],
  };
}

/**
 * Builds by status and platform: every pending, assigned and building one, and with
 * `finishedWithin` the builds that finished in that interval.
 */
export function countBuilds(db: Database, options: { finishedWithin?: string } = {}): Promise<BuildCount[]> {
  const finished = options.finishedWithin
    ? sql`UNION ALL
      SELECT status, platform, count(*)::int FROM "Build"
      WHERE "finishedAt" >= now() - ${options.finishedWithin}::interval AND status = ANY(${FINISHED_STATUSES}::"BuildStatus"[])
      GROUP BY status, platform`
    : sql``;
  // One arm per index: the claim index holds the pending builds, the rescue index the active ones
  // (the partial "Build_status_startedAt_idx": ACTIVE_STATUSES stays spelled out, as a parameter
  // the planner could not match the index's predicate).
  const { text, values } = compile(sql`
    SELECT status, platform, count FROM (
      SELECT status, platform, count(*)::int AS count FROM "Build" WHERE status = 'PENDING' GROUP BY status, platform
      UNION ALL
      SELECT status, platform, count(*)::int FROM "Build" WHERE status IN ('ASSIGNED', 'BUILDING') GROUP BY status, platform
      ${finished}
    ) counts ORDER BY status, platform`);
  return db.$queryRawUnsafe<BuildCount[]>(text, ...values);
}

/** p50/p95/p99 of `end - start` in seconds; the column names are fixed, never client input. */
function percentileSql(end: string, start: string) {
  const seconds = `extract(epoch FROM "${end}" - "${start}")`;
  return Prisma.raw(
    ['0.5', '0.95', '0.99']
      .map((q, index) => `percentile_cont(${q}) WITHIN GROUP (ORDER BY ${seconds})::float8 AS "${['p50', 'p95', 'p99'][index]}"`)
      .join(', '),
  );
}
