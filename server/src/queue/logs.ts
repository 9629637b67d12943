import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import { sql, type SqlPool } from '../db/sql.ts';
import type { LogLevel } from '../generated/prisma/enums.ts';
import { badInput, payloadTooLarge } from '../errors.ts';
import { notifyList, type BusEvent } from '../events/publish.ts';
import { assertOwnActiveBuild, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
import { notFound } from '../errors.ts';
import { assertId, assertIntegerInRange } from './validate.ts';

export interface BuildLogInput {
  level: LogLevel;
  message: string;
  at?: Date | null;
}

export interface AppendResult {
  nextSeq: number;
  accepted: number;
  truncated: boolean;
}

export const MAX_LINES_PER_BATCH = 5000;
const MAX_MESSAGE_BYTES = 64 * 1024;

type LogBounds = Pick<Config, 'logMaxLines' | 'logMaxBytes'>;

interface LogState extends LockedBuild {
  logLineCount: number;
  logByteCount: string;
  logTruncated: boolean;
}

/**
 * Stores a batch of the worker's numbered lines once. A batch that does not start at the next
 * expected seq (a retry of one already stored, or one after a lost batch) stores nothing and
 * the answer names the seq expected, so the worker re-sends from there. Past the build's bound
 * one truncation marker is stored and later lines are refused.
 */
export async function appendBuildLogs(
  pool: SqlPool,
  bounds: LogBounds,
  workerId: string,
  input: { buildId: string; firstSeq: number; lines: BuildLogInput[] },
): Promise<AppendResult> {
  const buildId = assertId(input.buildId, 'buildId');
  const firstSeq = assertIntegerInRange(input.firstSeq, 1, 2 ** 31 - 1, 'firstSeq');
  if (input.lines.length === 0 || input.lines.length > MAX_LINES_PER_BATCH)
    throw badInput(`lines must hold 1 to ${MAX_LINES_PER_BATCH} lines`);
  const sizes = input.lines.map((line) => Buffer.byteLength(line.message));
  if (sizes.some((size) => size > MAX_MESSAGE_BYTES)) throw badInput(`A log line may be at most ${MAX_MESSAGE_BYTES} bytes`);

  return pool.transaction(async (tx) => {
    const [build] = await tx.query<LogState>(sql`
      SELECT ${LOCKED_BUILD_COLUMNS}, "logLineCount", "logByteCount", "logTruncated"
      FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE`);
    if (!build) throw notFound('Build');
    assertOwnActiveBuild(build, workerId);
    if (build.logTruncated) throw payloadTooLarge('This build reached its log limit; further lines are refused');
    const expectedSeq = build.logLineCount + 1;
    if (firstSeq !== expectedSeq) return { nextSeq: expectedSeq, accepted: 0, truncated: false };

    let accepted = 0;
    let bytes = Number(build.logByteCount);
    while (
      accepted < input.lines.length &&
      build.logLineCount + accepted < bounds.logMaxLines &&
      bytes + sizes[accepted] <= bounds.logMaxBytes
    ) {
      bytes += sizes[accepted];
      accepted += 1;
    }
    const truncated = accepted < input.lines.length;
    const now = new Date();
    const rows = input.lines.slice(0, accepted).map((line, index) => ({
      buildId,
      seq: firstSeq + index,
      level: line.level,
      // PostgreSQL text cannot hold NUL; a build tool that prints one should not lose the line.
      message: line.message.replaceAll('\u0000', '\uFFFD'),
      at: line.at ?? now,
    }));
    if (truncated) {
      rows.push({
        buildId,
        seq: firstSeq + accepted,
        level: 'WARN',
        message: `Log truncated: this build reached its limit of ${bounds.logMaxLines} lines or ${bounds.logMaxBytes} bytes; later lines were dropped.`,
        at: now,
      });
    }
    const event: BusEvent = { topic: 'buildLogAppended', buildId, fromSeq: firstSeq, toSeq: rows.at(-1)!.seq };
    // The whole batch, the counters and the event in one statement: arrays unnested into rows.
    await tx.query(sql`
      WITH stored AS (
        INSERT INTO "BuildLog" ("buildId", seq, level, message, at)
        SELECT ${buildId}::uuid, line.seq, line.level, line.message, line.at
        FROM unnest(
          ${rows.map((row) => row.seq)}::int[],
          ${rows.map((row) => row.level)}::"LogLevel"[],
          ${rows.map((row) => row.message)}::text[],
          ${rows.map((row) => row.at.toISOString())}::timestamptz[]
        ) AS line(seq, level, message, at)
      ), counted AS (
        UPDATE "Build" SET "logLineCount" = "logLineCount" + ${accepted}::int, "logByteCount" = ${bytes}::bigint,
          "logTruncated" = ${truncated}
        WHERE id = ${buildId}::uuid
      )
      SELECT ${notifyList([event])}`);
    return { nextSeq: firstSeq + accepted, accepted, truncated };
  });
}

/** One page of a build's log after a seq, in order. */
export async function readBuildLogs(db: Database, buildId: string, afterSeq: number, first: number) {
  const lines = await db.buildLog.findMany({
    where: { buildId: assertId(buildId, 'buildId'), seq: { gt: afterSeq } },
    orderBy: { seq: 'asc' },
    take: first + 1,
  });
  return { lines: lines.slice(0, first), hasNextPage: lines.length > first };
}
