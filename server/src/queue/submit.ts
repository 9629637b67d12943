import type { Config } from '../config/config.ts';
import type { Database, Tx } from '../db/client.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { conflict, notFound, queueFull } from '../errors.ts';
import { buildChangeEvents, notifyList } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';
import { FINISHED_STATUSES } from './buildRows.ts';
import { consumeUpload } from './uploads.ts';
import { assertId, assertIntegerInRange, assertJsonObject, assertText } from './validate.ts';

export interface SubmitBuildInput {
  platform: Platform;
  sourceUploadId: string;
  certsUploadId?: string | null;
  priority?: number | null;
  metadata?: unknown;
  maxAttempts?: number | null;
  timeoutSeconds?: number | null;
  idempotencyKey?: string | null;
}

export interface Submitter {
  apiKeyId: string;
  actor: string;
}

type SubmitSettings = Pick<Config, 'maxPendingBuilds' | 'maxAttempts' | 'buildTimeoutSeconds' | 'heartbeatTimeoutSeconds'>;

const MAX_METADATA_BYTES = 16 * 1024;
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
const UNIQUE_VIOLATION = 'P2002';

/**
 * Queues a build from finished uploads. The same idempotency key from the same key holder
 * returns the build it first created instead of a second one, also under a concurrent retry.
 */
export async function submitBuild(db: Database, settings: SubmitSettings, submitter: Submitter, input: SubmitBuildInput) {
  const idempotencyKey = input.idempotencyKey == null ? null : assertText(input.idempotencyKey, 200, 'idempotencyKey');
  const fields = {
    platform: input.platform,
    priority: assertIntegerInRange(input.priority ?? 0, -1000, 1000, 'priority'),
    metadata: assertJsonObject(input.metadata ?? {}, MAX_METADATA_BYTES, 'metadata') as Prisma.InputJsonObject,
    maxAttempts: assertIntegerInRange(input.maxAttempts ?? settings.maxAttempts, 1, 100, 'maxAttempts'),
    timeoutSeconds: assertIntegerInRange(
      input.timeoutSeconds ?? Math.ceil(settings.buildTimeoutSeconds),
      1,
      MAX_TIMEOUT_SECONDS,
      'timeoutSeconds',
    ),
    heartbeatTimeoutSeconds: Math.ceil(settings.heartbeatTimeoutSeconds),
  };
  if (idempotencyKey) {
    const existing = await findByIdempotencyKey(db, submitter.apiKeyId, idempotencyKey);
    if (existing) return existing;
  }
  try {
    return await db.$transaction(async (tx) => {
      const source = await consumeUpload(tx, input.sourceUploadId, { kind: 'SOURCE', createdById: submitter.apiKeyId }, 'sourceUploadId');
      const certs = input.certsUploadId
        ? await consumeUpload(tx, input.certsUploadId, { kind: 'CERTS', createdById: submitter.apiKeyId }, 'certsUploadId')
        : null;
      return insertPendingBuild(tx, settings, submitter, {
        ...fields,
        idempotencyKey,
        sourceKey: source.key,
        sourceSize: source.size,
        sourceSha256: source.sha256,
        certsKey: certs?.key,
        certsSize: certs?.size,
        certsSha256: certs?.sha256,
      });
    });
  } catch (error) {
    // A concurrent submit with the same key won the race: answer with its build.
    if (idempotencyKey && (error as { code?: string }).code === UNIQUE_VIOLATION) {
      const existing = await findByIdempotencyKey(db, submitter.apiKeyId, idempotencyKey);
      if (existing) return existing;
    }
    throw error;
  }
}

function findByIdempotencyKey(db: Tx, submittedById: string, idempotencyKey: string) {
  return db.build.findUnique({ where: { submittedById_idempotencyKey: { submittedById, idempotencyKey } } });
}

/**
 * A new PENDING build of the same inputs, linked to the finished one. Certificates are deleted
 * when a build finishes, so a build that had them needs fresh ones.
 */
export async function retryBuild(
  db: Database,
  settings: SubmitSettings,
  submitter: Submitter,
  buildId: string,
  certsUploadId?: string | null,
) {
  const id = assertId(buildId, 'id');
  return db.$transaction(async (tx) => {
    const original = await tx.build.findUnique({ where: { id } });
    if (!original) throw notFound('Build');
    if (!FINISHED_STATUSES.includes(original.status))
      throw conflict(`Only a finished build can be retried; this one is ${original.status}`, { status: original.status });
    if (original.certsSha256 && !certsUploadId)
      throw conflict('This build was signed and its certificates were deleted when it finished: pass certsUploadId');
    const certs = certsUploadId
      ? await consumeUpload(tx, certsUploadId, { kind: 'CERTS', createdById: submitter.apiKeyId }, 'certsUploadId')
      : null;
    return insertPendingBuild(tx, settings, submitter, {
      platform: original.platform,
      priority: original.priority,
      metadata: original.metadata as Prisma.InputJsonObject,
      maxAttempts: original.maxAttempts,
      timeoutSeconds: original.timeoutSeconds,
      heartbeatTimeoutSeconds: original.heartbeatTimeoutSeconds,
      sourceKey: original.sourceKey,
      sourceSize: original.sourceSize,
      sourceSha256: original.sourceSha256,
      certsKey: certs?.key,
      certsSize: certs?.size,
      certsSha256: certs?.sha256,
      retryOfId: original.id,
    });
  });
}

async function insertPendingBuild(
  tx: Tx,
  settings: SubmitSettings,
  submitter: Submitter,
  data: Omit<Prisma.BuildUncheckedCreateInput, 'submittedById' | 'status'>,
) {
  // Backpressure: past the bound, refuse rather than let the queue grow without limit.
  // Counting stops at the bound, so a deep queue does not make every submit slower.
  const pending = await tx.build.count({ where: { status: 'PENDING' }, take: settings.maxPendingBuilds });
  if (pending >= settings.maxPendingBuilds)
    throw queueFull(`The queue already holds ${pending} pending builds (limit ${settings.maxPendingBuilds}); try again later`);
  const build = await tx.build.create({ data: { ...data, status: 'PENDING', submittedById: submitter.apiKeyId } });
  const events = buildChangeEvents({ buildId: build.id, status: 'PENDING', platform: build.platform, workerId: null });
  // The timeline row and the events in one round trip.
  await tx.$executeRaw`
    WITH event AS (
      INSERT INTO "BuildEvent" ("buildId", "toStatus", actor, reason)
      VALUES (${build.id}::uuid, 'PENDING', ${submitter.actor}, ${data.retryOfId ? 'retry' : 'submitted'})
    )
    SELECT ${notifyList(events)}`;
  recordTransition(null, 'PENDING');
  return build;
}
