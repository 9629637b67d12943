import { badInput, forbidden } from '../errors.ts';
import { actorOf } from '../auth/principal.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { ACTIVE_STATUSES } from '../queue/buildRows.ts';
import { reportDiagnostics, REPORTS_KEPT_PER_WORKER } from '../queue/diagnostics.ts';
import { assertId, assertIdCursor } from '../queue/validate.ts';
import { agentVersion, drainWorker, registerWorker, resumeWorker, revokeWorker, unregisterWorker } from '../queue/workers.ts';
import type { WorkerEventKind } from '../events/publish.ts';
import { builder } from './builder.ts';
import { assertPagingArgs, LIST_PAGE_SIZES } from './paging.ts';
import { busEvents } from './subscriptions.ts';
import { DiagnosticStatusEnum, PlatformEnum, WorkerStatusEnum } from './scalars.ts';

type StoredCheck = { name: string; status: 'OK' | 'WARN' | 'FAIL'; message: string | null };

const DiagnosticCheck = builder.objectRef<StoredCheck>('DiagnosticCheck').implement({
  description: "One check of a worker's health.",
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What was checked, e.g. `disk-space` or `xcode`.' }),
    status: t.expose('status', { type: DiagnosticStatusEnum, description: 'The outcome.' }),
    message: t.exposeString('message', { nullable: true, description: 'What the check found.' }),
  }),
});

export const DiagnosticReportType = builder.prismaObject('DiagnosticReport', {
  description: "A worker's health report about itself.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The report id.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it was reported.' }),
    checks: t.field({
      type: [DiagnosticCheck],
      description: 'The checks, in the order reported.',
      resolve: (report) => report.checks as StoredCheck[],
    }),
    system: t.expose('system', { type: 'JSON', description: 'System facts: OS, CPU, memory, disk, tool versions.' }),
    failCount: t.exposeInt('failCount', { description: 'How many checks failed.' }),
    warnCount: t.exposeInt('warnCount', { description: 'How many checks warned.' }),
  }),
});

export const WorkerType = builder.prismaObject('Worker', {
  description: 'A build machine registered with the controller.',
  // Key holders see the workers their fields lead to (a WORKER key, the one it registers); a
  // worker sees itself.
  authScopes: (worker, ctx) => ctx.principal.kind === 'apiKey' || (ctx.principal.kind === 'worker' && ctx.principal.workerId === worker.id),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The worker id.' }),
    name: t.exposeString('name', { description: 'Its name, e.g. the host name.' }),
    platforms: t.expose('platforms', { type: [PlatformEnum], description: 'What it builds for.' }),
    capabilities: t.expose('capabilities', {
      type: 'JSON',
      description: 'What it reported of itself: Xcode, macOS, CPU, memory, agent version.',
    }),
    status: t.expose('status', { type: WorkerStatusEnum, description: 'What it is doing.' }),
    version: t.string({
      nullable: true,
      description: "Its agent's version, as it reported in capabilities.agentVersion; null when it reported none.",
      resolve: (worker) => agentVersion(worker.capabilities),
    }),
    maxConcurrentBuilds: t.exposeInt('maxConcurrentBuilds', { description: 'How many builds it runs at once.' }),
    labels: t.exposeStringList('labels', { description: "What it offers to builds' required labels." }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', description: 'Its last contact.' }),
    buildsCompleted: t.exposeInt('buildsCompleted', { description: 'Builds it completed.' }),
    buildsFailed: t.exposeInt('buildsFailed', { description: 'Builds it failed.' }),
    registeredAt: t.expose('registeredAt', { type: 'DateTime', description: 'When it first registered.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When an admin revoked it.' }),
    currentBuilds: t.relation('builds', {
      description: 'The builds it is running now.',
      query: { where: { status: { in: ACTIVE_STATUSES } }, orderBy: { assignedAt: 'asc' } },
    }),
    diagnostics: t.relation('diagnostics', {
      description: `Its latest health reports, newest first (the last ${REPORTS_KEPT_PER_WORKER} are kept).`,
      args: { first: t.arg.int({ description: 'How many reports.', defaultValue: 1 }) },
      query: (args) => ({ orderBy: { at: 'desc' }, take: Math.min(Math.max(args.first ?? 1, 0), REPORTS_KEPT_PER_WORKER) }),
    }),
  }),
});

const WorkerFilter = builder.inputType('WorkerFilter', {
  description: 'Narrows a list of workers.',
  fields: (t) => ({
    status: t.field({ type: [WorkerStatusEnum], required: false, description: 'Any of these statuses.' }),
    platform: t.field({ type: PlatformEnum, required: false, description: 'Builds for this platform.' }),
    includeRevoked: t.boolean({ required: false, description: 'Include revoked workers (default false).' }),
  }),
});

function workerWhere(filter: typeof WorkerFilter.$inferInput | null | undefined): Prisma.WorkerWhereInput {
  return {
    // A set: a list of thousands of repeats made Prisma's query time out.
    ...(filter?.status?.length ? { status: { in: [...new Set(filter.status)] } } : {}),
    ...(filter?.platform ? { platforms: { has: filter.platform } } : {}),
    ...(filter?.includeRevoked ? {} : { revokedAt: null }),
  };
}

builder.queryFields((t) => ({
  worker: t.prismaField({
    type: 'Worker',
    nullable: true,
    description: 'One worker by id, or null when there is none.',
    authScopes: { reader: true, worker: true },
    args: { id: t.arg.id({ required: true, description: 'The worker id.' }) },
    resolve: (query, _root, args, ctx) => ctx.services.db.reads.worker.findUnique({ ...query, where: { id: assertId(args.id, 'id') } }),
  }),
  workers: t.prismaConnection(
    {
      type: 'Worker',
      cursor: 'id',
      description: `Workers, by name; pages of up to ${LIST_PAGE_SIZES.maxSize} (default ${LIST_PAGE_SIZES.defaultSize}).`,
      authScopes: { reader: true },
      args: { filter: t.arg({ type: WorkerFilter, required: false, description: 'Which workers.' }) },
      ...LIST_PAGE_SIZES,
      resolve: (query, _root, args, ctx) => {
        assertPagingArgs(args, LIST_PAGE_SIZES);
        return ctx.services.db.reads.worker.findMany({
          ...assertIdCursor(query),
          where: workerWhere(args.filter),
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
        });
      },
    },
    { description: 'A page of workers.' },
    { description: 'A worker in a page.' },
  ),
}));

const RegisterWorkerInput = builder.inputType('RegisterWorkerInput', {
  description: 'A worker announcing itself.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Its name, e.g. the host name: one line, at most 200 characters.' }),
    platforms: t.field({ type: [PlatformEnum], required: true, description: 'What it builds for.' }),
    capabilities: t.field({ type: 'JSON', required: false, description: 'A JSON object: Xcode, macOS, CPU, memory, agent version.' }),
    workerId: t.id({ required: false, description: 'Its id from an earlier registration: re-registering is idempotent.' }),
    labels: t.stringList({
      required: false,
      description:
        'What it offers, e.g. `xcode=16.2`: `key` or `key=value`, trimmed, key lower-cased (a-z, 0-9, `.` `_` `-` `/`), at most 100 characters each and 32 in all, no commas. Re-registering replaces them.',
    }),
    maxConcurrentBuilds: t.int({
      required: false,
      description: 'How many builds it runs at once, 1 to 64 (default 1); re-registering sets it again.',
    }),
  }),
});

const RegisterWorkerPayload = builder.objectRef<Awaited<ReturnType<typeof registerWorker>>>('RegisterWorkerPayload').implement({
  description: 'A registered worker and its access token.',
  fields: (t) => ({
    worker: t.prismaField({
      type: 'Worker',
      description: 'The worker.',
      resolve: (query, payload, _args, ctx) =>
        ctx.services.db.reads.worker.findUniqueOrThrow({ ...query, where: { id: payload.workerId } }),
    }),
    accessToken: t.exposeString('accessToken', { description: "The worker's bearer token for every later call; keep it secret." }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it expires; heartbeats hand out a new one before then.' }),
  }),
});

const DiagnosticCheckInput = builder.inputType('DiagnosticCheckInput', {
  description: "One check of a worker's health.",
  fields: (t) => ({
    name: t.string({ required: true, description: 'What was checked: one line, at most 100 characters.' }),
    status: t.field({ type: DiagnosticStatusEnum, required: true, description: 'The outcome.' }),
    message: t.string({ required: false, description: 'What the check found: at most 2000 characters; line breaks and tabs allowed.' }),
  }),
});

const ReportDiagnosticsInput = builder.inputType('ReportDiagnosticsInput', {
  description: "A worker's health report about itself.",
  fields: (t) => ({
    checks: t.field({ type: [DiagnosticCheckInput], required: true, description: 'The checks, 1 to 100.' }),
    system: t.field({ type: 'JSON', required: false, description: 'System facts as a JSON object.' }),
  }),
});

builder.mutationFields((t) => ({
  registerWorker: t.withAuth({ workerKey: true }).field({
    type: RegisterWorkerPayload,
    description: 'Registers a worker (WORKER or ADMIN key) and returns its access token.',
    args: { input: t.arg({ type: RegisterWorkerInput, required: true, description: 'The worker.' }) },
    resolve: (_root, { input }, ctx) => registerWorker(ctx.services.db.sql, ctx.services.config, ctx.principal.apiKeyId, input),
  }),
  unregisterWorker: t.withAuth({ worker: true }).boolean({
    description: 'Graceful shutdown of the calling worker: its builds go back to the queue and its token stops working.',
    resolve: async (_root, _args, ctx) => {
      await unregisterWorker(ctx.services.db.sql, ctx.principal.workerId);
      return true;
    },
  }),
  drainWorker: t.prismaField({
    type: 'Worker',
    description: 'The worker finishes what it runs and takes nothing new.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The worker id.' }) },
    resolve: async (query, _root, args, ctx) => {
      await drainWorker(ctx.services.db.sql, args.id);
      return ctx.services.db.reads.worker.findUniqueOrThrow({ ...query, where: { id: args.id.toLowerCase() } });
    },
  }),
  resumeWorker: t.prismaField({
    type: 'Worker',
    description:
      'A DRAINING worker takes builds again: IDLE or BUILDING as its running builds say, and it is told RESUME on workerEvents. ' +
      'A worker that is not draining is returned unchanged; CONFLICT for a revoked one.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The worker id.' }) },
    resolve: async (query, _root, args, ctx) => {
      await resumeWorker(ctx.services.db.sql, args.id);
      return ctx.services.db.reads.worker.findUniqueOrThrow({ ...query, where: { id: args.id.toLowerCase() } });
    },
  }),
  revokeWorker: t.prismaField({
    type: 'Worker',
    description: 'Shuts a worker out for good: its token stops working and its builds go back to the queue.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The worker id.' }) },
    resolve: async (query, _root, args, ctx) => {
      await revokeWorker(ctx.services.db.sql, actorOf(ctx.principal), args.id);
      return ctx.services.db.reads.worker.findUniqueOrThrow({ ...query, where: { id: args.id.toLowerCase() } });
    },
  }),
  reportDiagnostics: t.withAuth({ worker: true }).prismaField({
    type: 'DiagnosticReport',
    description: 'The calling worker reports its health; the latest report shows on the worker.',
    args: { input: t.arg({ type: ReportDiagnosticsInput, required: true, description: 'The report.' }) },
    resolve: async (query, _root, { input }, ctx) => {
      const report = await reportDiagnostics(ctx.services.db.sql, ctx.principal.workerId, input);
      return ctx.services.db.reads.diagnosticReport.findUniqueOrThrow({ ...query, where: { id: report.id } });
    },
  }),
}));

const WorkerEventKindEnum = builder.enumType('WorkerEventKind', {
  description: 'What a worker is told to do.',
  values: {
    CANCEL_BUILD: { description: 'Stop the build named in buildId: it was cancelled or timed out.' },
    DRAIN: { description: 'Finish what you run and take nothing new.' },
    RESUME: { description: 'Draining is over: take builds again.' },
    REVOKE: { description: 'You have been revoked: stop and exit.' },
  },
});

const WorkerEventType = builder.objectRef<{ workerId: string; kind: WorkerEventKind; buildId: string | null }>('WorkerEvent').implement({
  description: 'An instruction for a worker.',
  fields: (t) => ({
    kind: t.expose('kind', { type: WorkerEventKindEnum, description: 'What to do.' }),
    buildId: t.exposeID('buildId', { nullable: true, description: 'The build it is about, for CANCEL_BUILD.' }),
    workerId: t.exposeID('workerId', { description: 'The worker it is for.' }),
  }),
});

const WorkerUpdatedEvent = builder.objectRef<{ workerId: string }>('WorkerUpdatedEvent').implement({
  description: 'A worker changed (status, registration, diagnostics).',
  fields: (t) => ({
    workerId: t.exposeID('workerId', { description: 'The worker.' }),
    worker: t.prismaField({
      type: 'Worker',
      nullable: true,
      description: 'The worker as it is when this event is delivered.',
      resolve: (query, event, _args, ctx) => ctx.services.db.reads.worker.findUnique({ ...query, where: { id: event.workerId } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  workerEvents: t.field({
    type: WorkerEventType,
    description:
      'Instructions for a worker: cancel a build, drain, resume, revoke. A worker hears its own; an ADMIN or VIEWER key may follow any worker.',
    authScopes: { worker: true, adminReader: true },
    args: { workerId: t.arg.id({ required: false, description: 'The worker (default: the calling worker).' }) },
    subscribe: (_root, args, ctx) => {
      const requested = args.workerId == null ? null : assertId(args.workerId, 'workerId');
      const principal = ctx.principal;
      const workerId = principal.kind === 'worker' ? principal.workerId : requested;
      if (!workerId) throw badInput('workerId is required for an API key');
      if (principal.kind === 'worker' && requested && requested !== principal.workerId)
        throw forbidden('A worker hears only its own events');
      return busEvents(ctx, 'workerEvents', (event) => event.workerId === workerId);
    },
    resolve: (event) => event,
  }),
  workerUpdated: t.field({
    type: WorkerUpdatedEvent,
    description: 'Every change of workers, or of one worker.',
    authScopes: { reader: true },
    args: { id: t.arg.id({ required: false, description: 'Only this worker.' }) },
    subscribe: (_root, args, ctx) => {
      const id = args.id == null ? null : assertId(args.id, 'id');
      return busEvents(ctx, 'workerUpdated', (event) => id === null || event.workerId === id);
    },
    resolve: (event) => ({ workerId: event.workerId }),
  }),
}));
