import { readBuild } from '../db/modelRows.ts';
import { actorOf, type ApiKeyPrincipal, isBuildWorker, type Principal } from '../auth/principal.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { cancelBuild } from '../queue/finish.ts';
import { retryBuild, submitBuild } from '../queue/submit.ts';
import { receiveDirectUploads } from '../queue/uploadCompletion.ts';
import { uploadedFilename } from '../queue/uploads.ts';
import { countEligibleWorkers, unofferedLabels } from '../queue/workers.ts';
import { assertId, assertIdCursor, isId } from '../queue/validate.ts';
import { literalLikePattern } from '../queue/textSearch.ts';
import { normaliseLabels } from '../queue/labels.ts';
import { queuePosition } from '../queue/queuePosition.ts';
import { ACTIVE_STATUSES } from '../queue/buildRows.ts';
import { builder } from './builder.ts';
import { assertPagingArgs, LIST_PAGE_SIZES } from './paging.ts';
import { busEvents } from './subscriptions.ts';
import type { Context } from './context.ts';
import { BuildStatusEnum, PlatformEnum } from './scalars.ts';

type ArtifactKind = 'source' | 'certs' | 'result';

/**
 * A short-lived GET URL of a build's artifact: presigned straight to object storage for sources and
 * results when the server uses it, else the server's own signed route (certificates always: they
 * are decrypted on the way out). `key` is the artifact's storage key.
 */
async function artifactUrl(ctx: Context, buildId: string, kind: ArtifactKind, key: string): Promise<string> {
  const { signer, config, storage } = ctx.services;
  if (storage.direct && kind !== 'certs')
    return storage.direct.presignGet(key, await uploadedFilename(ctx.services.db.reads, key), config.downloadUrlTtlSeconds);
  return signer.sign('GET', `/artifacts/builds/${buildId}/${kind}`, config.downloadUrlTtlSeconds).url;
}

const isAssignedWorker = (principal: Principal, build: { workerId: string | null; status: string }) =>
  isBuildWorker(principal, build) && (ACTIVE_STATUSES as string[]).includes(build.status);

export const BuildEventType = builder.prismaObject('BuildEvent', {
  description: "One transition in a build's timeline.",
  fields: (t) => ({
    id: t.id({ description: 'The event id, increasing in time.', resolve: (event) => String(event.id) }),
    fromStatus: t.expose('fromStatus', {
      type: BuildStatusEnum,
      nullable: true,
      description: 'The status before; null for the submission.',
    }),
    toStatus: t.expose('toStatus', { type: BuildStatusEnum, description: 'The status after.' }),
    actor: t.exposeString('actor', { description: 'Who made it: `apiKey:<id>`, `worker:<id>` or `system`.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why, when known (e.g. "heartbeat timed out").' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it happened.' }),
  }),
});

export const BuildTelemetryType = builder.prismaObject('BuildTelemetry', {
  description: "A machine-readable event from a build's worker: a stage, a resource sample, a cache hit.",
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'When the worker observed it.' }),
    kind: t.exposeString('kind', { description: 'What kind of event, e.g. `stage.started` or `sample.cpu`.' }),
    data: t.expose('data', { type: 'JSON', description: "The event's fields." }),
  }),
});

export const BuildType = builder.prismaObject('Build', {
  description: 'An app build: its inputs, where it is in its lifecycle, and its result.',
  // Readers see every build; a worker sees the builds assigned to it.
  authScopes: (build, ctx) => isBuildWorker(ctx.principal, build) || { reader: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The build id.' }),
    platform: t.expose('platform', { type: PlatformEnum, description: 'The platform it targets.' }),
    status: t.expose('status', { type: BuildStatusEnum, description: 'Where it is in its lifecycle.' }),
    priority: t.exposeInt('priority', { description: 'Higher runs first; equal priorities run oldest first.' }),
    requiredLabels: t.exposeStringList('requiredLabels', { description: 'Labels a worker must offer to claim it.' }),
    eligibleWorkers: t.int({
      description:
        'Live workers (not OFFLINE, DRAINING or revoked) that register its platform and offer all its required labels, busy or not. 0: no worker could take it now.',
      resolve: (build, _args, ctx) => countEligibleWorkers(ctx.services.db.sql, build),
    }),
    unofferedLabels: t.stringList({
      description: 'Its required labels that no live worker of its platform offers: why it waits when eligibleWorkers is 0.',
      resolve: (build, _args, ctx) => unofferedLabels(ctx.services.db.sql, build),
    }),
    queuePosition: t.int({
      nullable: true,
      description:
        'While PENDING: its place among the pending builds of its platform in claim order (priority, then oldest first), ' +
        'from 1 (next). Required labels are not considered, so a labelled build may be stepped over. Null once claimed or finished.',
      resolve: (build, _args, ctx) => queuePosition(ctx.services.db.sql, build),
    }),
    metadata: t.expose('metadata', { type: 'JSON', description: 'What the submitter said of it: app name, version, profile, git ref…' }),
    sourceSize: t.expose('sourceSize', { type: 'ByteSize', description: 'Size of the source archive.' }),
    sourceSha256: t.exposeString('sourceSha256', { description: 'SHA-256 of the source archive, hex.' }),
    hasCerts: t.boolean({
      description: 'Whether it was submitted with signing certificates.',
      resolve: (build) => build.certsSha256 !== null,
    }),
    resultSize: t.expose('resultSize', { type: 'ByteSize', nullable: true, description: 'Size of the result artifact, once completed.' }),
    resultSha256: t.exposeString('resultSha256', { nullable: true, description: 'SHA-256 of the result artifact, hex.' }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', description: 'When it was queued.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', nullable: true, description: 'When its current attempt was claimed.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When its worker started it.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When it completed, failed or was cancelled.' }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime', nullable: true, description: "Its worker's last heartbeat for it." }),
    progress: t.exposeInt('progress', { description: 'Percent done, as its worker reports (0–100).' }),
    attempt: t.exposeInt('attempt', { description: 'How many times it has been claimed.' }),
    maxAttempts: t.exposeInt('maxAttempts', { description: 'How many claims it may have before a lost worker fails it.' }),
    heartbeatTimeoutSeconds: t.exposeInt('heartbeatTimeoutSeconds', {
      description: 'Silence from its worker after which it goes back to the queue.',
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds', { description: 'How long it may build before it fails as timed out.' }),
    errorMessage: t.exposeString('errorMessage', { nullable: true, description: 'Why its last attempt failed.' }),
    cancelRequestedAt: t.expose('cancelRequestedAt', { type: 'DateTime', nullable: true, description: 'When it was cancelled.' }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true, description: 'The idempotency key it was submitted with.' }),
    logLineCount: t.exposeInt('logLineCount', { description: 'Log lines stored so far.' }),
    logTruncated: t.exposeBoolean('logTruncated', { description: 'Whether its log reached the bound and later lines were dropped.' }),
    worker: t.relation('worker', { nullable: true, description: 'The worker running it, or that ran its last attempt.' }),
    retryOf: t.relation('retryOf', { nullable: true, description: 'The build this one retries.' }),
    submittedBy: t.relation('submittedBy', { nullable: true, description: 'The API key that submitted it.' }),
    events: t.relation('events', { description: 'Its timeline, oldest first.', query: { orderBy: { id: 'asc' } } }),
    telemetry: t.relation('telemetry', {
      description: "Its worker's telemetry events, oldest first.",
      args: { first: t.arg.int({ description: 'How many events (at most 1000).', defaultValue: 100 }) },
      query: (args) => ({ orderBy: { id: 'asc' }, take: Math.min(Math.max(args.first ?? 100, 0), 1000) }),
    }),
    sourceUrl: t.string({
      nullable: true,
      description: 'Signed, short-lived URL of the source archive; only for the worker running the build.',
      resolve: (build, _args, ctx) =>
        isAssignedWorker(ctx.principal, build) ? artifactUrl(ctx, build.id, 'source', build.sourceKey) : null,
    }),
    certsUrl: t.string({
      nullable: true,
      description: 'Signed, short-lived URL of the signing certificates; only for the worker running the build.',
      resolve: (build, _args, ctx) =>
        build.certsKey && isAssignedWorker(ctx.principal, build) ? artifactUrl(ctx, build.id, 'certs', build.certsKey) : null,
    }),
    resultUrl: t.string({
      nullable: true,
      description: 'Signed, short-lived URL of the result artifact; for readers of a completed build.',
      // The build's worker sees the build but gets no result URL.
      authScopes: { reader: true },
      unauthorizedResolver: () => null,
      resolve: (build, _args, ctx) => (build.resultKey ? artifactUrl(ctx, build.id, 'result', build.resultKey) : null),
    }),
    resultFilename: t.string({
      nullable: true,
      description: 'The file name the result was uploaded with; null until completed, or when unknown.',
      resolve: (build, _args, ctx) => (build.resultKey ? uploadedFilename(ctx.services.db.reads, build.resultKey) : null),
    }),
  }),
});

const BuildFilter = builder.inputType('BuildFilter', {
  description: 'Narrows a list of builds; all given conditions must hold.',
  fields: (t) => ({
    status: t.field({ type: [BuildStatusEnum], required: false, description: 'Any of these statuses.' }),
    platform: t.field({ type: PlatformEnum, required: false, description: 'This platform.' }),
    workerId: t.id({ required: false, description: 'Run (last) by this worker.' }),
    submittedAfter: t.field({ type: 'DateTime', required: false, description: 'Submitted at or after this time.' }),
    submittedBefore: t.field({ type: 'DateTime', required: false, description: 'Submitted before this time.' }),
    text: t.string({
      required: false,
      description:
        'Text found, literally and ignoring case, in the error message or the metadata string appName, version, gitRef or ' +
        'profile, or a whole build id. Surrounding white space is ignored.',
    }),
    label: t.string({
      required: false,
      description:
        'Requires this label (among its requiredLabels), e.g. `xcode=16.2`; normalised as labels are (trimmed, key lower-cased). ' +
        'BAD_USER_INPUT when it is not a label.',
    }),
  }),
});

const SEARCHED_METADATA = ['appName', 'version', 'gitRef', 'profile'];

function buildWhere(filter: typeof BuildFilter.$inferInput | null | undefined): Prisma.BuildWhereInput {
  if (!filter) return {};
  const where: Prisma.BuildWhereInput = {};
  // A set: a list of thousands of repeats made Prisma's query take seconds.
  if (filter.status?.length) where.status = { in: [...new Set(filter.status)] };
  if (filter.platform) where.platform = filter.platform;
  if (filter.workerId) where.workerId = assertId(filter.workerId, 'workerId');
  // `has` is `@>`, filtered on the walk of builds newest first, as `text` is (migration 0012 says why no index).
  if (filter.label != null) where.requiredLabels = { has: normaliseLabels([filter.label], 'label')[0] };
  if (filter.submittedAfter || filter.submittedBefore)
    where.submittedAt = { gte: filter.submittedAfter ?? undefined, lt: filter.submittedBefore ?? undefined };
  const text = filter.text?.trim();
  if (text) {
    const pattern = literalLikePattern(text);
    where.OR = [
      ...(isId(text) ? [{ id: text.toLowerCase() }] : []),
      { errorMessage: { contains: pattern, mode: 'insensitive' } },
      ...SEARCHED_METADATA.map((key) => ({ metadata: { path: [key], string_contains: pattern, mode: 'insensitive' as const } })),
    ];
  }
  return where;
}

builder.queryFields((t) => ({
  build: t.prismaField({
    type: 'Build',
    nullable: true,
    description: 'One build by id, or null when there is none.',
    authScopes: { reader: true, worker: true },
    args: { id: t.arg.id({ required: true, description: 'The build id.' }) },
    resolve: (query, _root, args, ctx) => ctx.services.db.reads.build.findUnique({ ...query, where: { id: assertId(args.id, 'id') } }),
  }),
  builds: t.prismaConnection(
    {
      type: 'Build',
      cursor: 'id',
      description: `Builds, newest first; pages of up to ${LIST_PAGE_SIZES.maxSize} (default ${LIST_PAGE_SIZES.defaultSize}).`,
      authScopes: { reader: true },
      args: { filter: t.arg({ type: BuildFilter, required: false, description: 'Which builds.' }) },
      ...LIST_PAGE_SIZES,
      resolve: (query, _root, args, ctx) => {
        assertPagingArgs(args, LIST_PAGE_SIZES);
        return ctx.services.db.reads.build.findMany({
          ...assertIdCursor(query),
          where: buildWhere(args.filter),
          orderBy: [{ submittedAt: 'desc' }, { id: 'desc' }],
        });
      },
    },
    { description: 'A page of builds.' },
    { description: 'A build in a page.' },
  ),
}));

const SubmitBuildInput = builder.inputType('SubmitBuildInput', {
  description: 'A build to queue, from finished uploads.',
  fields: (t) => ({
    platform: t.field({ type: PlatformEnum, required: true, description: 'The platform to build for.' }),
    sourceUploadId: t.id({ required: true, description: 'A finished SOURCE upload.' }),
    certsUploadId: t.id({ required: false, description: 'A finished CERTS upload, for signed builds.' }),
    priority: t.int({ required: false, description: 'From -1000 to 1000 (default 0); higher runs first.' }),
    metadata: t.field({ type: 'JSON', required: false, description: 'A JSON object: app name, version, profile, git ref…' }),
    maxAttempts: t.int({ required: false, description: 'Claims allowed before a lost worker fails it (default from config).' }),
    timeoutSeconds: t.int({ required: false, description: 'How long it may build (default from config).' }),
    idempotencyKey: t.string({
      required: false,
      description: 'A retried submit with the same key (from the same API key) returns the first build instead of a new one.',
    }),
    requiredLabels: t.stringList({
      required: false,
      description:
        'Labels a worker must offer to claim it, e.g. `xcode=16.2`: `key` or `key=value`, trimmed, key lower-cased, at most 100 characters each and 32 in all.',
    }),
  }),
});

const submitterOf = (principal: ApiKeyPrincipal) => ({ apiKeyId: principal.apiKeyId, actor: actorOf(principal) });

builder.mutationFields((t) => ({
  submitBuild: t.withAuth({ submitter: true }).prismaField({
    type: 'Build',
    description: 'Queues a build. Refused with QUEUE_FULL while the pending queue is at its bound.',
    args: { input: t.arg({ type: SubmitBuildInput, required: true, description: 'The build.' }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const { db, storage, config, pending } = ctx.services;
      await receiveDirectUploads(db.reads, db.groupCommitted, storage, [input.sourceUploadId]);
      return submitBuild(db.groupCommitted, config, pending, submitterOf(ctx.principal), input);
    },
  }),
  cancelBuild: t.prismaField({
    type: 'Build',
    description: 'Cancels a build that has not finished; its worker is told at once. CONFLICT when it already finished.',
    authScopes: { submitter: true },
    args: {
      id: t.arg.id({ required: true, description: 'The build id.' }),
      reason: t.arg.string({
        required: false,
        description: 'Why, for the timeline: at most 1000 characters; line breaks and tabs allowed.',
      }),
    },
    resolve: async (_query, _root, args, ctx) => {
      await cancelBuild(ctx.services.db.sql, ctx.services.storage, actorOf(ctx.principal), args.id, args.reason);
      return readBuild(ctx.services.db.sql, args.id.toLowerCase());
    },
  }),
  retryBuild: t.withAuth({ submitter: true }).prismaField({
    type: 'Build',
    description: 'Queues a new build with the same inputs as a finished one (linked by retryOf).',
    args: {
      id: t.arg.id({ required: true, description: 'The finished build.' }),
      certsUploadId: t.arg.id({
        required: false,
        description: 'Fresh certificates: required when the original was signed, since its certificates were deleted.',
      }),
    },
    resolve: (_query, _root, args, ctx) =>
      retryBuild(ctx.services.db.sql, ctx.services.config, submitterOf(ctx.principal), args.id, args.certsUploadId),
  }),
}));

type BuildUpdate = { buildId: string; status: typeof BuildStatusEnum.$inferType };

const BuildUpdatedEvent = builder.objectRef<BuildUpdate>('BuildUpdatedEvent').implement({
  description: 'A build changed: its status as of this change, and the build as it is now.',
  fields: (t) => ({
    buildId: t.exposeID('buildId', { description: 'The build.' }),
    status: t.expose('status', { type: BuildStatusEnum, description: 'Its status right after this change (events arrive in order).' }),
    build: t.prismaField({
      type: 'Build',
      nullable: true,
      description: 'The build as it is when this event is delivered.',
      resolve: (query, event, _args, ctx) => ctx.services.db.reads.build.findUnique({ ...query, where: { id: event.buildId } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  buildUpdated: t.field({
    type: BuildUpdatedEvent,
    description: 'Every change of builds (status, progress), or of one build; in the order they happened.',
    authScopes: { reader: true },
    args: { id: t.arg.id({ required: false, description: 'Only this build.' }) },
    subscribe: (_root, args, ctx) => {
      const id = args.id == null ? null : assertId(args.id, 'id');
      return busEvents(ctx, 'buildUpdated', (event) => id === null || event.buildId === id);
    },
    resolve: (event) => ({ buildId: event.buildId, status: event.status }),
  }),
}));
