import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import { sql, type SqlClient } from '../db/sql.ts';
import type { LogLevel } from '../generated/prisma/enums.ts';
import { badInput, notFound, payloadTooLarge } from '../errors.ts';
import { EVENT_CHANNEL } from '../events/publish.ts';
import { assertOwnActiveBuild, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
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
  logTruncated: boolean;
  truncated: boolean | null;
}

/**
 * Stores a batch of the worker's numbered lines once. A batch that does not start at the next
 * expected seq (a retry of one already stored, or one after a lost batch) stores nothing and
 * the answer names the seq expected, so the worker re-sends from there. Past the build's bound
 * one truncation marker is stored and later lines are refused.
 *
 * One statement: the build row is locked, and only when every check holds are the lines that fit
 * the bounds (a prefix of the batch, by running totals) inserted with the marker if some did not,
 * the counters advanced and the event raised; the locked row then says which check failed.
 */
export async function appendBuildLogs(
  db: SqlClient,
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

  const now = new Date().toISOString();
  const marker = `Log truncated: this build reached its limit of ${bounds.logMaxLines} lines or ${bounds.logMaxBytes} bytes; later lines were dropped.`;
  const [row] = await db.query<LogState & { accepted: number | null }>(sql`
    WITH build AS (
      SELECT ${LOCKED_BUILD_COLUMNS}, "logLineCount", "logByteCount", "logTruncated" FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE
    ), ok AS (
      -- assertOwnActiveBuild, the truncation and the seq check below, as conditions.
      SELECT "logLineCount", "logByteCount" FROM build
      WHERE "workerId" = ${workerId}::uuid AND status IN ('ASSIGNED', 'BUILDING') AND NOT "logTruncated"
        AND "logLineCount" + 1 = ${firstSeq}::int
    ), line AS (
      SELECT line.*, sum(line.bytes) OVER (ORDER BY line.n) AS "bytesThrough"
      FROM unnest(
        ${input.lines.map((line) => line.level)}::"LogLevel"[],
        -- PostgreSQL text cannot hold NUL; a build tool that prints one should not lose the line.
        ${input.lines.map((line) => line.message.replaceAll('\u0000', '\uFFFD'))}::text[],
        ${input.lines.map((line) => line.at?.toISOString() ?? now)}::timestamptz[],
        ${sizes}::int[]
      ) WITH ORDINALITY AS line(level, message, at, bytes, n)
    ), accepted AS (
      SELECT line.* FROM line, ok
      WHERE ok."logLineCount" + line.n <= ${bounds.logMaxLines}::int AND ok."logByteCount" + line."bytesThrough" <= ${bounds.logMaxBytes}::bigint
    ), batch AS (
      SELECT count(*)::int AS accepted, COALESCE(max("bytesThrough"), 0)::bigint AS bytes,
        count(*) < ${input.lines.length}::int AS truncated
      FROM accepted HAVING EXISTS (SELECT 1 FROM ok)
    ), stored AS (
      INSERT INTO "BuildLog" ("buildId", seq, level, message, at)
      SELECT ${buildId}::uuid, ${firstSeq}::int + n::int - 1, level, message, at FROM accepted
      UNION ALL
      SELECT ${buildId}::uuid, ${firstSeq}::int + batch.accepted, 'WARN', ${marker}, ${now}::timestamptz FROM batch WHERE batch.truncated
      RETURNING seq
    ), counted AS (
      UPDATE "Build" SET "logLineCount" = "logLineCount" + batch.accepted, "logByteCount" = "logByteCount" + batch.bytes,
        "logTruncated" = batch.truncated
      FROM batch WHERE id = ${buildId}::uuid
    ), notified AS (
      SELECT pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'buildLogAppended'::text, 'buildId', ${buildId}::text,
        'fromSeq', ${firstSeq}::int, 'toSeq', max(seq))::text)
      FROM stored HAVING count(*) > 0
    )
    SELECT build.*, batch.accepted, batch.truncated, (SELECT count(*) FROM notified)::int AS notified
    FROM (SELECT) one LEFT JOIN build ON true LEFT JOIN batch ON true`);
  if (!row?.id) throw notFound('Build');
  assertOwnActiveBuild(row, workerId);
  if (row.logTruncated) throw payloadTooLarge('This build reached its log limit; further lines are refused');
  const expectedSeq = row.logLineCount + 1;
  if (row.accepted === null) return { nextSeq: expectedSeq, accepted: 0, truncated: false };
  return { nextSeq: firstSeq + row.accepted, accepted: row.accepted, truncated: row.truncated! };
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
