import { database } from '../db/client.ts';
import { forbidden, notFound } from '../errors.ts';
import { appendBuildLogs, MAX_LINES_PER_BATCH, readBuildLogs, type AppendResult } from '../queue/logs.ts';
import { assertId, assertIntegerInRange } from '../queue/validate.ts';
import { builder } from './builder.ts';
import { busEvents } from './subscriptions.ts';
import { callingWorker } from './principals.ts';
import { LogLevelEnum } from './scalars.ts';

export const BuildLogType = builder.prismaObject('BuildLog', {
  description: "One line of a build's log.",
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Its place in the log: 1, 2, 3… with no gaps.' }),
    level: t.expose('level', { type: LogLevelEnum, description: 'Its severity.' }),
    message: t.exposeString('message', { description: 'The text.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When the worker logged it.' }),
  }),
});

const BuildLogInput = builder.inputType('BuildLogInput', {
  description: 'One log line from a worker.',
  fields: (t) => ({
    level: t.field({ type: LogLevelEnum, required: true, description: 'Its severity.' }),
    message: t.string({ required: true, description: 'The text, at most 64 KB.' }),
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

const MAX_PAGE = 1000;

builder.queryFields((t) => ({
  buildLogs: t.connection(
    {
      type: BuildLogType,
      description: "A build's log lines in seq order, after a seq or a cursor.",
      authScopes: { reader: true, worker: true },
      args: {
        buildId: t.arg.id({ required: true, description: 'The build.' }),
        afterSeq: t.arg.int({ required: false, description: 'Lines after this seq (default 0: from the start).' }),
      },
      resolve: async (_root, args, ctx) => {
        const buildId = assertId(String(args.buildId), 'buildId');
        const build = await database().build.findUnique({ where: { id: buildId }, select: { workerId: true } });
        if (!build) throw notFound('Build');
        if (ctx.principal.kind === 'worker' && build.workerId !== ctx.principal.workerId)
          throw forbidden('This build is not assigned to this worker');
        const afterSeq = args.after ? Number(args.after) : (args.afterSeq ?? 0);
        assertIntegerInRange(afterSeq, 0, 2 ** 31 - 1, 'afterSeq');
        const first = assertIntegerInRange(args.first ?? 100, 1, MAX_PAGE, 'first');
        const { lines, hasNextPage } = await readBuildLogs(database(), buildId, afterSeq, first);
        return {
          edges: lines.map((line) => ({ cursor: String(line.seq), node: line })),
          pageInfo: {
            hasNextPage,
            hasPreviousPage: afterSeq > 0,
            startCursor: lines[0] ? String(lines[0].seq) : null,
            endCursor: lines.at(-1) ? String(lines.at(-1)!.seq) : null,
          },
        };
      },
    },
    { description: 'A page of log lines.' },
    { description: 'A log line in a page; its cursor is its seq.' },
  ),
}));

builder.mutationFields((t) => ({
  appendBuildLogs: t.field({
    type: AppendBuildLogsPayload,
    description:
      `Stores a batch of log lines for a build the worker runs. The worker numbers lines from 1; a batch whose firstSeq ` +
      `is not the next expected one stores nothing and nextSeq says where to resume. At most ${MAX_LINES_PER_BATCH} lines a batch.`,
    authScopes: { worker: true },
    args: {
      buildId: t.arg.id({ required: true, description: 'The build.' }),
      firstSeq: t.arg.int({ required: true, description: 'The seq of the first line of this batch.' }),
      lines: t.arg({ type: [BuildLogInput], required: true, description: 'The lines, in order.' }),
    },
    resolve: (_root, args, ctx) =>
      // Group-committed: a batch raises buildLogAppended, and notifying commits run one at a time.
      appendBuildLogs(ctx.services.writes, ctx.services.config, callingWorker(ctx).workerId, {
        buildId: String(args.buildId),
        firstSeq: args.firstSeq,
        lines: args.lines,
      }),
  }),
}));

type LogAppended = { buildId: string; fromSeq: number; toSeq: number };

const BuildLogAppendedEvent = builder.objectRef<LogAppended>('BuildLogAppendedEvent').implement({
  description: 'A batch of log lines was stored for a build.',
  fields: (t) => ({
    buildId: t.exposeID('buildId', { description: 'The build.' }),
    lines: t.prismaField({
      type: ['BuildLog'],
      description: 'The lines of the batch, in seq order.',
      resolve: (query, event) =>
        database().buildLog.findMany({
          ...query,
          where: { buildId: event.buildId, seq: { gte: event.fromSeq, lte: event.toSeq } },
          orderBy: { seq: 'asc' },
        }),
    }),
    nextSeq: t.int({ description: 'The seq the next line will have.', resolve: (event) => event.toSeq + 1 }),
  }),
});

builder.subscriptionFields((t) => ({
  buildLogAppended: t.field({
    type: BuildLogAppendedEvent,
    description: "A build's log lines as they are stored, batch by batch, in order.",
    authScopes: { reader: true },
    args: { buildId: t.arg.id({ required: true, description: 'The build.' }) },
    subscribe: (_root, args, ctx) => {
      const buildId = assertId(String(args.buildId), 'buildId');
      return busEvents(ctx, 'buildLogAppended', (event) => event.buildId === buildId);
    },
    resolve: (event) => event,
  }),
}));
