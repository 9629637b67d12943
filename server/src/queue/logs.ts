import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import { sql, type SqlClient } from '../db/sql.ts';
import type { LogLevel } from '../generated/prisma/enums.ts';
import { badInput, notFound, payloadTooLarge } from '../errors.ts';
import { assertNotified, EVENT_CHANNEL } from '../events/publish.ts';
import { ACTIVE_STATUSES, assertOwnActiveBuild, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
import { assertId, assertIntegerInRange, assertOptionalAttempt } from './validate.ts';

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

/** The build as locked, with its latest attempt's log counters (migration 0010). */
interface LogState extends LockedBuild {
  logLineCount: number;
  logTruncated: boolean;
  truncated: boolean | null;
}

/**
 * Stores a batch of the worker's numbered lines once, in the log of the build's current attempt
 * (each attempt numbers its lines from 1). A batch that does not start at the next expected seq (a
 * retry of one already stored, or one after a lost batch) stores nothing and the answer names the
 * seq expected, so the worker re-sends from there. Past the attempt's bound one truncation marker
 * is stored and later lines are refused. `input.attempt`, when given, is the attempt the worker
 * runs: a batch for another one (the worker's stale run of an attempt that is over) is refused.
 *
 * Throws NOT_FOUND, FORBIDDEN (not the worker's build), CONFLICT (the build is not running, or is on
 * another attempt), PAYLOAD_TOO_LARGE (the attempt's log reached its bound), BAD_USER_INPUT.
 *
 * One statement: the build row is locked, and only when every check holds are the lines that fit
 * the bounds (a prefix of the batch, by running totals) inserted with the marker if some did not,
 * the counters advanced and the event raised; the locked row then says which check failed.
 */
export async function appendBuildLogs(
  db: SqlClient,
  bounds: LogBounds,
  workerId: string,
  input: { buildId: string; firstSeq: number; lines: BuildLogInput[]; attempt?: number | null },
): Promise<AppendResult> {
  const buildId = assertId(input.buildId, 'buildId');
  const firstSeq = assertIntegerInRange(input.firstSeq, 1, 2 ** 31 - 1, 'firstSeq');
  const attempt = assertOptionalAttempt(input.attempt);
  if (input.lines.length === 0 || input.lines.length > MAX_LINES_PER_BATCH)
    throw badInput(`lines must hold 1 to ${MAX_LINES_PER_BATCH} lines`);
  const sizes = input.lines.map((line) => Buffer.byteLength(line.message));
  if (sizes.some((size) => size > MAX_MESSAGE_BYTES)) throw badInput(`A log line may be at most ${MAX_MESSAGE_BYTES} bytes`);

  const now = new Date().toISOString();
  const marker = `Log truncated: this attempt reached its limit of ${bounds.logMaxLines} lines or ${bounds.logMaxBytes} bytes; later lines were dropped.`;
  const [row] = await db.query<LogState & { accepted: number | null; notified: number }>(sql`
    WITH build AS (
      SELECT ${LOCKED_BUILD_COLUMNS}, "logLineCount", "logByteCount", "logTruncated" FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE
    ), ok AS (
      -- assertOwnActiveBuild, the attempt, the truncation and the seq check below, as conditions.
      SELECT attempt, "logLineCount", "logByteCount" FROM build
      WHERE "workerId" = ${workerId}::uuid AND status = ANY(${ACTIVE_STATUSES}::"BuildStatus"[]) AND NOT "logTruncated"
        AND attempt = COALESCE(${attempt}::int, attempt) AND "logLineCount" + 1 = ${firstSeq}::int
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
      SELECT line.*, ok.attempt FROM line, ok
      WHERE ok."logLineCount" + line.n <= ${bounds.logMaxLines}::int AND ok."logByteCount" + line."bytesThrough" <= ${bounds.logMaxBytes}::bigint
    ), batch AS (
      SELECT (SELECT attempt FROM ok) AS attempt, count(*)::int AS accepted, COALESCE(max("bytesThrough"), 0)::bigint AS bytes,
        count(*) < ${input.lines.length}::int AS truncated
      FROM accepted HAVING EXISTS (SELECT 1 FROM ok)
    ), stored AS (
      INSERT INTO "BuildLog" ("buildId", attempt, seq, level, message, at)
      SELECT ${buildId}::uuid, attempt, ${firstSeq}::int + n::int - 1, level, message, at FROM accepted
      UNION ALL
      SELECT ${buildId}::uuid, batch.attempt, ${firstSeq}::int + batch.accepted, 'WARN', ${marker}, ${now}::timestamptz FROM batch WHERE batch.truncated
      RETURNING attempt, seq
    ), counted AS (
      UPDATE "Build" SET "logLineCount" = "logLineCount" + batch.accepted, "logByteCount" = "logByteCount" + batch.bytes,
        "logTruncated" = batch.truncated
      FROM batch WHERE id = ${buildId}::uuid
    )
    SELECT build.*, batch.accepted, batch.truncated,
      -- The batch's event, if it stored lines: like notifyRows(), with a payload made from what was stored.
      (SELECT count(*) FROM (
        SELECT pg_notify(${EVENT_CHANNEL}, json_build_object('topic', 'buildLogAppended'::text, 'buildId', ${buildId}::text,
          'attempt', max(attempt), 'fromSeq', ${firstSeq}::int, 'toSeq', max(seq))::text)
        FROM stored HAVING count(*) > 0
      ) sent)::int AS notified
    FROM (SELECT) one LEFT JOIN build ON true LEFT JOIN batch ON true`);
  // A batch that stored lines (and the marker) exists only when every check held.
  assertNotified('appendBuildLogs', row?.accepted == null ? 0 : 1, row?.notified);
  if (!row?.id) throw notFound('Build');
  assertOwnActiveBuild(row, workerId, attempt);
  if (row.logTruncated) throw payloadTooLarge("This attempt's log reached its limit; further lines are refused");
  const expectedSeq = row.logLineCount + 1;
  if (row.accepted === null) return { nextSeq: expectedSeq, accepted: 0, truncated: false };
  return { nextSeq: firstSeq + row.accepted, accepted: row.accepted, truncated: row.truncated! };
}

/**
 * The attempt whose log to read: `requested`, or the latest (`attempts`, the build's attempt count;
 * 0 for a build never claimed, whose log is empty). Throws BAD_USER_INPUT for an attempt the build
 * has not had.
 */
export function logAttempt(requested: number | null | undefined, attempts: number): number {
  if (requested == null) return attempts;
  if (!Number.isInteger(requested) || requested < 1 || requested > attempts)
    throw badInput(
      attempts === 0 ? 'This build has not been claimed yet: it has no attempt' : `attempt must be an integer from 1 to ${attempts}`,
    );
  return requested;
}

/**
 * A page of an attempt's log: forward, up to `size` lines after seq `after` (default 0); or backward,
 * the last `size` lines before seq `before` (default: the end). Seqs are cursors.
 */
export type LogPageRequest =
  { direction: 'forward'; size: number; after?: number } | { direction: 'backward'; size: number; before?: number };

/**
 * One page of the lines of a build's attempt, in seq order, and whether lines come before and after
 * it. An attempt numbers its lines 1…n with no gaps, so its last seq says where any page sits: with a
 * cursor, lines exist beyond it when some lie on its far side (Relay's "may return true").
 */
export async function readBuildLogs(db: Database, buildId: string, attempt: number, request: LogPageRequest) {
  const where = { buildId: assertId(buildId, 'buildId'), attempt };
  const lastSeq = (await db.buildLog.findFirst({ where, orderBy: { seq: 'desc' }, select: { seq: true } }))?.seq ?? 0;
  let from: number;
  let to: number;
  let hasPreviousPage: boolean;
  let hasNextPage: boolean;
  if (request.direction === 'forward') {
    const after = request.after ?? 0;
    from = after + 1;
    to = Math.min(lastSeq, after + request.size);
    hasPreviousPage = after >= 1 && lastSeq >= 1;
    hasNextPage = to < lastSeq;
  } else {
    const before = request.before ?? lastSeq + 1;
    to = Math.min(lastSeq, before - 1);
    from = Math.max(1, to - request.size + 1);
    hasPreviousPage = from > 1;
    hasNextPage = request.before !== undefined && lastSeq >= before;
  }
  const lines = from <= to ? await db.buildLog.findMany({ where: { ...where, seq: { gte: from, lte: to } }, orderBy: { seq: 'asc' } }) : [];
  return { lines, hasPreviousPage, hasNextPage };
}
