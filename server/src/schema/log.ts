import { isBuildWorker } from '../auth/principal.ts';
import { badInput, forbidden, notFound } from '../errors.ts';
import { appendBuildLogs, logAttempt, MAX_LINES_PER_BATCH, readBuildLogs, type AppendResult, type LogPageRequest } from '../queue/logs.ts';
import { logSearchText, MAX_LOG_SEARCH_LENGTH, searchBuildLogs } from '../queue/logSearch.ts';
import { assertId, assertIntegerInRange } from '../queue/validate.ts';
import { builder } from './builder.ts';
import { claimedAttemptArgs } from './buildWork.ts';
import { assertPagingArgs, type PageSizes, type PagingArgs } from './paging.ts';
import { busEvents } from './subscriptions.ts';
import { LogLevelEnum } from './scalars.ts';
import { CAPTURED_OUTPUT } from './storableText.ts';
import type { Context } from './context.ts';

export const BuildLogType = builder.prismaObject('BuildLog', {
  description: "One line of a build's log.",
  fields: (t) => ({
    attempt: t.exposeInt('attempt', { description: 'The attempt of the build that logged it (1 for the first claim).' }),
    seq: t.exposeInt('seq', { description: "Its place in its attempt's log: 1, 2, 3… with no gaps." }),
    level: t.expose('level', { type: LogLevelEnum, description: 'Its severity.' }),
    message: t.exposeString('message', { description: 'The text.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When the worker logged it.' }),
  }),
});

const BuildLogInput = builder.inputType('BuildLogInput', {
  description: 'One log line from a worker.',
  fields: (t) => ({
    level: t.field({ type: LogLevelEnum, required: true, description: 'Its severity.' }),
    message: t.string({
      required: true,
      description: 'The text, at most 64 KB. Captured output: a U+0000 or a lone surrogate in it is stored as U+FFFD.',
      extensions: CAPTURED_OUTPUT,
    }),
    at: t.field({ type: 'DateTime', required: false, description: 'When it was logged (default: now).' }),
  }),
});

const AppendBuildLogsPayload = builder.objectRef<AppendResult>('AppendBuildLogsPayload').implement({
  description: 'The answer to appendBuildLogs.',
  fields: (t) => ({
    nextSeq: t.exposeInt('nextSeq', {
      description: 'The seq the next batch must start at. When the batch did not start there, nothing was stored.',
    }),
    accepted: t.exposeInt('accepted', { description: 'How many lines of the batch were stored.' }),
    truncated: t.exposeBoolean('truncated', {
      description: 'The build reached its log bound: a truncation marker was stored and later lines are refused.',
    }),
  }),
});

const LOG_PAGE_SIZES: PageSizes = { defaultSize: 100, maxSize: 1000 };
const MAX_SEQ = 2 ** 31 - 1;

/** A seq given as a cursor (`after`, `before`: the cursors this connection gives out) or as afterSeq. */
function seqCursor(cursor: string, what: string): number {
  if (!/^\d{1,10}$/.test(cursor)) throw badInput(`${what} is not a cursor of this log`);
  return assertIntegerInRange(Number(cursor), 0, MAX_SEQ, what);
}

/** The page a buildLogs request asks for; afterSeq is `after` by another name. Throws BAD_USER_INPUT. */
function logPageRequest(args: PagingArgs & { afterSeq?: number | null }): LogPageRequest {
  if (args.afterSeq != null && args.after != null) throw badInput('Give after or afterSeq, not both');
  const after = args.afterSeq != null ? String(args.afterSeq) : args.after;
  const paging = { ...args, after };
  if (assertPagingArgs(paging, LOG_PAGE_SIZES) === 'backward')
    return {
      direction: 'backward',
      size: args.last ?? LOG_PAGE_SIZES.defaultSize,
      before: args.before == null ? undefined : seqCursor(args.before, 'before'),
    };
  return {
    direction: 'forward',
    size: args.first ?? LOG_PAGE_SIZES.defaultSize,
    after: after == null ? undefined : seqCursor(after, args.afterSeq != null ? 'afterSeq' : 'after'),
  };
}

builder.queryFields((t) => ({
  buildLogs: t.connection(
    {
      type: BuildLogType,
      description:
        'The log lines of one attempt of a build (the latest by default) in seq order: forward with first/after(Seq), or ' +
        `backward with last/before (e.g. last: 100 for the end); pages of up to ${LOG_PAGE_SIZES.maxSize} (default ${LOG_PAGE_SIZES.defaultSize}).`,
      authScopes: { reader: true, worker: true },
      args: {
        buildId: t.arg.id({ required: true, description: 'The build.' }),
        attempt: t.arg.int({
          required: false,
          description: "Which attempt's log, from 1 to the build's attempt (default: the latest). BAD_USER_INPUT for any other.",
        }),
        afterSeq: t.arg.int({ required: false, description: 'Lines after this seq, like `after` (default 0: from the start).' }),
      },
      resolve: async (_root, args, ctx) => {
        const buildId = assertId(args.buildId, 'buildId');
        const page = logPageRequest(args);
        const attempt = await readableAttempt(ctx, buildId, args.attempt);
        return logConnection(await readBuildLogs(ctx.services.db.reads, buildId, attempt, page));
      },
    },
    { description: 'A page of log lines.' },
    { description: 'A log line in a page; its cursor is its seq.' },
  ),
  buildLogSearch: t.connection(
    {
      type: BuildLogType,
      description:
        'The log lines of one attempt of a build (the latest by default) whose message contains `query` literally, ignoring case ' +
        '(as BuildFilter.text: `%`, `_` and `\\` are plain characters), in seq order, with how many match in the whole attempt. ' +
        `Pages forward with first/after or backward with last/before, cursors being seqs; up to ${LOG_PAGE_SIZES.maxSize} lines ` +
        `(default ${LOG_PAGE_SIZES.defaultSize}).`,
      authScopes: { reader: true, worker: true },
      args: {
        buildId: t.arg.id({ required: true, description: 'The build.' }),
        attempt: t.arg.int({
          required: false,
          description: "Which attempt's log, from 1 to the build's attempt (default: the latest). BAD_USER_INPUT for any other.",
        }),
        query: t.arg.string({
          required: true,
          description: `The text to find: 1 to ${MAX_LOG_SEARCH_LENGTH} characters once surrounding white space is trimmed.`,
        }),
      },
      resolve: async (_root, args, ctx) => {
        const buildId = assertId(args.buildId, 'buildId');
        const page = logPageRequest(args);
        const text = logSearchText(args.query);
        const attempt = await readableAttempt(ctx, buildId, args.attempt);
        const found = await searchBuildLogs(ctx.services.db.reads, buildId, attempt, text, page);
        return { ...logConnection(found), totalCount: found.totalCount };
      },
    },
    {
      name: 'BuildLogSearchConnection',
      description: 'A page of the log lines that match a search.',
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many lines of the attempt match, on every page.',
          resolve: (connection) => connection.totalCount,
        }),
      }),
    },
    { name: 'BuildLogSearchEdge', description: 'A matching log line in a page; its cursor is its seq.' },
  ),
}));

/**
 * The attempt of `buildId` whose log the caller reads: `requested` or the latest. Readers read any
 * build's, a worker its own build's. Throws NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (no such attempt).
 */
async function readableAttempt(ctx: Context, buildId: string, requested: number | null | undefined): Promise<number> {
  const build = await ctx.services.db.reads.build.findUnique({ where: { id: buildId }, select: { workerId: true, attempt: true } });
  if (!build) throw notFound('Build');
  // The fields are open to readers and workers: of workers, only the build's own.
  if (ctx.principal.kind === 'worker' && !isBuildWorker(ctx.principal, build)) throw forbidden('This build is not assigned to this worker');
  return logAttempt(requested, build.attempt);
}

/** A page of log lines as a connection: each line's cursor is its seq. */
function logConnection<Line extends { seq: number }>(page: { lines: Line[]; hasPreviousPage: boolean; hasNextPage: boolean }) {
  const { lines, hasPreviousPage, hasNextPage } = page;
  return {
    edges: lines.map((line) => ({ cursor: String(line.seq), node: line })),
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: lines[0] ? String(lines[0].seq) : null,
      endCursor: lines.at(-1) ? String(lines.at(-1)!.seq) : null,
    },
  };
}

builder.mutationFields((t) => ({
  appendBuildLogs: t.withAuth({ worker: true }).field({
    type: AppendBuildLogsPayload,
    description:
      `Stores a batch of log lines for a build the worker runs, in its current attempt's log. The worker numbers each ` +
      `attempt's lines from 1; a batch whose firstSeq is not the next expected one stores nothing and nextSeq says where ` +
      `to resume. At most ${MAX_LINES_PER_BATCH} lines a batch.`,
    args: {
      buildId: t.arg.id({ required: true, description: 'The build.' }),
      firstSeq: t.arg.int({ required: true, description: 'The seq of the first line of this batch.' }),
      lines: t.arg({ type: [BuildLogInput], required: true, description: 'The lines, in order.' }),
      ...claimedAttemptArgs,
    },
    resolve: (_root, args, ctx) =>
      // Group-committed: a batch raises buildLogAppended, and notifying commits run one at a time.
      appendBuildLogs(ctx.services.db.groupCommitted, ctx.services.config, ctx.principal.workerId, {
        buildId: args.buildId,
        firstSeq: args.firstSeq,
        lines: args.lines,
        attempt: args.attempt,
      }),
  }),
}));

type LogAppended = { buildId: string; attempt: number; fromSeq: number; toSeq: number };

const BuildLogAppendedEvent = builder.objectRef<LogAppended>('BuildLogAppendedEvent').implement({
  description: 'A batch of log lines was stored for a build.',
  fields: (t) => ({
    buildId: t.exposeID('buildId', { description: 'The build.' }),
    attempt: t.exposeInt('attempt', { description: "The attempt whose log the lines are in: a new attempt's log starts at seq 1." }),
    lines: t.prismaField({
      type: ['BuildLog'],
      description: 'The lines of the batch, in seq order.',
      resolve: (query, event, _args, ctx) =>
        ctx.services.db.reads.buildLog.findMany({
          ...query,
          where: { buildId: event.buildId, attempt: event.attempt, seq: { gte: event.fromSeq, lte: event.toSeq } },
          orderBy: { seq: 'asc' },
        }),
    }),
    nextSeq: t.int({ description: 'The seq the next line will have.', resolve: (event) => event.toSeq + 1 }),
  }),
});

builder.subscriptionFields((t) => ({
  buildLogAppended: t.field({
    type: BuildLogAppendedEvent,
    description: "A build's log lines as they are stored, batch by batch, in order; a new attempt's log starts again at seq 1.",
    authScopes: { reader: true },
    args: { buildId: t.arg.id({ required: true, description: 'The build.' }) },
    subscribe: (_root, args, ctx) => {
      const buildId = assertId(args.buildId, 'buildId');
      return busEvents(ctx, 'buildLogAppended', (event) => event.buildId === buildId);
    },
    resolve: (event) => event,
  }),
}));
