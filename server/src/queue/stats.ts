import type { Database } from '../db/client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { BuildStatus, Platform, WorkerStatus } from '../generated/prisma/enums.ts';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface QueueStats {
  byStatusAndPlatform: { status: BuildStatus; platform: Platform; count: number }[];
  workersByStatus: { status: WorkerStatus; count: number }[];
  finishedToday: number;
  queueWaitSeconds: Percentiles;
  buildDurationSeconds: Percentiles;
}

const WINDOW = '24 hours';

/** Counts and the last day's percentiles, each in one aggregate query. */
export async function queueStats(db: Database): Promise<QueueStats> {
  const [byStatusAndPlatform, workersByStatus, finished, wait, duration] = await Promise.all([
    db.$queryRaw<{ status: BuildStatus; platform: Platform; count: number }[]>`
      SELECT status, platform, count(*)::int AS count FROM "Build" GROUP BY status, platform ORDER BY status, platform`,
    db.$queryRaw<{ status: WorkerStatus; count: number }[]>`
      SELECT status, count(*)::int AS count FROM "Worker" WHERE "revokedAt" IS NULL GROUP BY status ORDER BY status`,
    db.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM "Build" WHERE "finishedAt" >= date_trunc('day', now())`,
    db.$queryRaw<Percentiles[]>`
      SELECT ${percentileSql('assignedAt', 'submittedAt')} FROM "Build"
      WHERE "assignedAt" >= now() - ${WINDOW}::interval`,
    db.$queryRaw<Percentiles[]>`
      SELECT ${percentileSql('finishedAt', 'startedAt')} FROM "Build"
      WHERE status = 'COMPLETED' AND "finishedAt" >= now() - ${WINDOW}::interval`,
  ]);
  return {
    byStatusAndPlatform,
    workersByStatus,
    finishedToday: finished[0]?.count ?? 0,
    queueWaitSeconds: wait[0],
    buildDurationSeconds: duration[0],
  };
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
