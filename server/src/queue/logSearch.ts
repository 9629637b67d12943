import type { Database } from '../db/client.ts';
import type { LogPageRequest } from './logs.ts';
import { assertSearchText, literalLikePattern } from './textSearch.ts';

/** The longest text buildLogSearch looks for, in characters. */
export const MAX_LOG_SEARCH_LENGTH = 200;

/**
 * The text buildLogSearch looks for: trimmed, 1 to MAX_LOG_SEARCH_LENGTH characters. Throws
 * BAD_USER_INPUT naming `query`.
 */
export const logSearchText = (query: string): string => assertSearchText(query, MAX_LOG_SEARCH_LENGTH, 'query');

/**
 * The lines of a build's attempt whose message contains `text` (from logSearchText) literally, ignoring case (the rule
 * of BuildFilter.text: queue/textSearch.ts), one page of them in seq order, with how many match in
 * the whole attempt and whether matches lie before and after the page (Relay's rule, as buildLogs:
 * with `after`, hasPreviousPage says whether matches lie at or before it; with `before`, hasNextPage
 * whether they lie at or after it). Seqs are cursors.
 *
 * Each statement walks the attempt's lines by primary key (buildId, attempt, seq) and filters them:
 * the page stops at its last match, the count reads the whole attempt (bounded by the log bound).
 */
export async function searchBuildLogs(db: Database, buildId: string, attempt: number, text: string, request: LogPageRequest) {
  const matching = { buildId, attempt, message: { contains: literalLikePattern(text), mode: 'insensitive' as const } };
  const forward = request.direction === 'forward';
  const cursor = forward ? request.after : request.before;
  const [totalCount, rows, beyondCursor] = await Promise.all([
    db.buildLog.count({ where: matching }),
    db.buildLog.findMany({
      where: { ...matching, seq: forward ? { gt: cursor ?? 0 } : cursor === undefined ? undefined : { lt: cursor } },
      orderBy: { seq: forward ? 'asc' : 'desc' },
      take: request.size + 1,
    }),
    cursor === undefined
      ? null
      : db.buildLog.findFirst({ where: { ...matching, seq: forward ? { lte: cursor } : { gte: cursor } }, select: { seq: true } }),
  ]);
  const more = rows.length > request.size;
  const page = rows.slice(0, request.size);
  if (!forward) page.reverse();
  return {
    lines: page,
    totalCount,
    hasPreviousPage: forward ? beyondCursor !== null : more,
    hasNextPage: forward ? more : beyondCursor !== null,
  };
}
