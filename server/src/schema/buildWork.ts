import { readBuild } from '../db/modelRows.ts';
import type { JobAvailable } from '../events/jobDispatcher.ts';
import { assertId } from '../queue/validate.ts';
import { completeBuild, failBuild } from '../queue/finish.ts';
import { heartbeat, type HeartbeatResult } from '../queue/heartbeat.ts';
import { recordBuildTelemetry } from '../queue/telemetry.ts';
import { trackSubscription } from '../metrics/metrics.ts';
import { receiveDirectUploads } from '../queue/uploadCompletion.ts';
import { builder } from './builder.ts';
import { busEvents } from './subscriptions.ts';
import { PlatformEnum } from './scalars.ts';

/**
 * The `attempt` argument of a worker's calls about its build (heartbeat, appendBuildLogs,
 * recordBuildTelemetry, completeBuild, failBuild); queue/buildRows.ts assertOwnActiveBuild refuses a stale one.
 */
export const claimedAttemptArgs = builder.args((t) => ({
  attempt: t.int({
    required: false,
    description:
      "The attempt the worker runs (the claimed build's attempt). When given, a call for an attempt that is over is " +
      'refused with CONFLICT, also when the same worker has claimed the build again.',
  }),
}));

/** The mutations a worker runs a build with: claim, heartbeat, complete or fail, telemetry. */

const HeartbeatPayload = builder.objectRef<HeartbeatResult>('HeartbeatPayload').implement({
  description: 'The answer to a heartbeat.',
  fields: (t) => ({
    build: t.prismaField({
      type: 'Build',
      nullable: true,
      description: 'The build the heartbeat was for.',
      resolve: (query, payload, _args, ctx) =>
        payload.buildId ? ctx.services.db.reads.build.findUnique({ ...query, where: { id: payload.buildId } }) : null,
    }),
    cancelRequested: t.exposeBoolean('cancelRequested', { description: 'The build was cancelled: stop it now.' }),
    accessToken: t.exposeString('accessToken', {
      nullable: true,
      description: 'A new access token, when the current one is close to expiry.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When the new access token expires.' }),
  }),
});

const BuildTelemetryInput = builder.inputType('BuildTelemetryInput', {
  description: 'One telemetry event from a worker.',
  fields: (t) => ({
    kind: t.string({
      required: true,
      description: 'What kind of event, e.g. `stage.started` or `sample.cpu`: one line, at most 100 characters.',
    }),
    at: t.field({ type: 'DateTime', required: false, description: 'When it was observed (default: now).' }),
    data: t.field({ type: 'JSON', required: false, description: 'Its fields, a JSON object of at most 4 KB.' }),
  }),
});

const RecordBuildTelemetryPayload = builder.objectRef<{ accepted: number }>('RecordBuildTelemetryPayload').implement({
  description: 'The answer to recordBuildTelemetry.',
  fields: (t) => ({ accepted: t.exposeInt('accepted', { description: 'How many events were stored.' }) }),
});

builder.mutationFields((t) => ({
  claimBuild: t.withAuth({ worker: true }).prismaField({
    type: 'Build',
    nullable: true,
    description:
      'Gives the calling worker the most urgent pending build it can run (priority, then age), or null. ' +
      'Each build goes to exactly one worker. A draining worker or one at its concurrency gets null.',
    args: {
      platforms: t.arg({ type: [PlatformEnum], required: false, description: 'Only these of its platforms (default: all).' }),
    },
    // The claimed row as Prisma would read it: relations in the selection are loaded on demand.
    resolve: (_query, _root, args, ctx) => ctx.services.claims.claim({ workerId: ctx.principal.workerId, platforms: args.platforms }),
  }),
  heartbeat: t.withAuth({ worker: true }).field({
    type: HeartbeatPayload,
    description:
      'The worker is alive, and optionally so is its build: starts an ASSIGNED build, records progress, ' +
      'says whether the build was cancelled, and hands out a new token near expiry.',
    args: {
      buildId: t.arg.id({ required: false, description: 'The build the worker is running.' }),
      progress: t.arg.int({ required: false, description: 'Percent done, 0–100.' }),
      ...claimedAttemptArgs,
    },
    resolve: (_root, args, ctx) =>
      heartbeat(ctx.services.db.groupCommitted, ctx.services.config, ctx.principal, {
        buildId: args.buildId,
        progress: args.progress,
        attempt: args.attempt,
      }),
  }),
  completeBuild: t.withAuth({ worker: true }).prismaField({
    type: 'Build',
    description: 'The worker finished the build; its result was uploaded to a RESULT upload for this build.',
    args: {
      buildId: t.arg.id({ required: true, description: 'The build.' }),
      resultUploadId: t.arg.id({ required: true, description: 'The finished RESULT upload.' }),
      ...claimedAttemptArgs,
    },
    resolve: async (_query, _root, args, ctx) => {
      await receiveDirectUploads(ctx.services.db.reads, ctx.services.db.groupCommitted, ctx.services.storage, [args.resultUploadId]);
      return completeBuild(ctx.services.db.groupCommitted, ctx.services.storage, ctx.principal.workerId, {
        buildId: args.buildId.toLowerCase(),
        resultUploadId: args.resultUploadId,
        attempt: args.attempt,
      });
    },
  }),
  failBuild: t.withAuth({ worker: true }).prismaField({
    type: 'Build',
    description: 'The worker could not build it. With retryable it goes back to the queue while attempts remain.',
    args: {
      buildId: t.arg.id({ required: true, description: 'The build.' }),
      message: t.arg.string({
        required: true,
        description: 'What went wrong: at most 10000 characters; line breaks and tabs allowed (e.g. the tail of a compiler error).',
      }),
      retryable: t.arg.boolean({ required: false, description: 'Whether another attempt may succeed (default false).' }),
      ...claimedAttemptArgs,
    },
    resolve: async (_query, _root, args, ctx) => {
      const buildId = args.buildId.toLowerCase();
      await failBuild(ctx.services.db.sql, ctx.services.storage, ctx.principal.workerId, { ...args, buildId });
      return readBuild(ctx.services.db.sql, buildId);
    },
  }),
  recordBuildTelemetry: t.withAuth({ worker: true }).field({
    type: RecordBuildTelemetryPayload,
    description: 'Stores a batch of telemetry events for a build the worker runs (one insert; bounded per build).',
    args: {
      buildId: t.arg.id({ required: true, description: 'The build.' }),
      events: t.arg({ type: [BuildTelemetryInput], required: true, description: 'The events, 1 to 5000.' }),
      ...claimedAttemptArgs,
    },
    resolve: (_root, args, ctx) =>
      recordBuildTelemetry(ctx.services.db.sql, ctx.services.config, ctx.principal.workerId, {
        buildId: args.buildId,
        events: args.events,
        attempt: args.attempt,
      }),
  }),
}));

const JobAvailableType = builder.objectRef<JobAvailable>('JobAvailable').implement({
  description: 'A build this worker could claim is waiting: call claimBuild.',
  fields: (t) => ({
    platform: t.expose('platform', { type: PlatformEnum, description: 'Its platform.' }),
    buildId: t.exposeID('buildId', {
      nullable: true,
      description: 'The build that became pending, when known; claimBuild may still give another (more urgent) one.',
    }),
  }),
});

const BuildTelemetryRecordedEvent = builder
  .objectRef<{ buildId: string; fromId: string; toId: string }>('BuildTelemetryRecordedEvent')
  .implement({
    description: 'A batch of telemetry events was stored for a build.',
    fields: (t) => ({
      buildId: t.exposeID('buildId', { description: 'The build.' }),
      events: t.prismaField({
        type: ['BuildTelemetry'],
        description: 'The events of the batch, in order.',
        resolve: (query, event, _args, ctx) =>
          ctx.services.db.reads.buildTelemetry.findMany({
            ...query,
            where: { buildId: event.buildId, id: { gte: BigInt(event.fromId), lte: BigInt(event.toId) } },
            orderBy: { id: 'asc' },
          }),
      }),
    }),
  });

builder.subscriptionFields((t) => ({
  jobAvailable: t.withAuth({ worker: true }).field({
    type: JobAvailableType,
    description:
      'Wake-ups for the calling worker: a build it could claim is pending. Only a few idle workers are woken per build, ' +
      'so claim when told and also on a slow timer with jitter.',
    args: { platforms: t.arg({ type: [PlatformEnum], required: false, description: 'Only these of its platforms (default: all).' }) },
    subscribe: async (_root, args, ctx) => {
      const { workerId } = ctx.principal;
      const registered = await ctx.services.db.reads.worker.findUniqueOrThrow({ where: { id: workerId }, select: { platforms: true } });
      const platforms = args.platforms?.length
        ? args.platforms.filter((platform) => registered.platforms.includes(platform))
        : registered.platforms;
      return trackSubscription('jobAvailable', ctx.services.bus.jobs.subscribe(workerId, platforms));
    },
    resolve: (job) => job,
  }),
  buildTelemetryRecorded: t.field({
    type: BuildTelemetryRecordedEvent,
    description: "A build's telemetry as its worker records it, batch by batch.",
    authScopes: { reader: true },
    args: { buildId: t.arg.id({ required: true, description: 'The build.' }) },
    subscribe: (_root, args, ctx) => {
      const buildId = assertId(args.buildId, 'buildId');
      return busEvents(ctx, 'buildTelemetryRecorded', (event) => event.buildId === buildId);
    },
    resolve: (event) => event,
  }),
}));
