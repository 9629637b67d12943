import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { buildFromRow, readBuild } from '../db/modelRows.ts';
import { sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';
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
const UNIQUE_VIOLATION = '23505';

/** The columns of a new build; the artifacts' keys come from consumed uploads. */
interface NewBuild {
  platform: Platform;
  priority: number;
  metadata: object;
  maxAttempts: number;
  timeoutSeconds: number;
  heartbeatTimeoutSeconds: number;
  idempotencyKey?: string | null;
  sourceKey: string;
  sourceSize: string;
  sourceSha256: string;
  certs: { key: string; size: string; sha256: string } | null;
  retryOfId?: string;
}

/**
 * Queues a build from finished uploads and returns it. The same idempotency key from the
 * same key holder returns the build it first created instead of a second one, also under a
 * concurrent retry.
 */
export async function submitBuild(pool: SqlPool, settings: SubmitSettings, submitter: Submitter, input: SubmitBuildInput): Promise<Build> {
  const idempotencyKey = input.idempotencyKey == null ? null : assertText(input.idempotencyKey, 200, 'idempotencyKey');
  const fields = {
    platform: input.platform,
    priority: assertIntegerInRange(input.priority ?? 0, -1000, 1000, 'priority'),
    metadata: assertJsonObject(input.metadata ?? {}, MAX_METADATA_BYTES, 'metadata'),
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
    const existing = await findByIdempotencyKey(pool, submitter.apiKeyId, idempotencyKey);
    if (existing) return readBuild(pool, existing);
  }
  try {
    return await pool.transaction(async (tx) => {
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
        certs,
      });
    });
  } catch (error) {
    // A concurrent submit with the same key won the race: answer with its build.
    if (idempotencyKey && (error as { code?: string }).code === UNIQUE_VIOLATION) {
      const existing = await findByIdempotencyKey(pool, submitter.apiKeyId, idempotencyKey);
      if (existing) return readBuild(pool, existing);
    }
    throw error;
  }
}

async function findByIdempotencyKey(db: SqlClient, submittedById: string, idempotencyKey: string): Promise<string | undefined> {
  const [build] = await db.query<{ id: string }>(sql`
    SELECT id FROM "Build" WHERE "submittedById" = ${submittedById}::uuid AND "idempotencyKey" = ${idempotencyKey}`);
  return build?.id;
}

/** What a retry copies from the finished build, and what it checks. */
type RetriedBuild = Omit<NewBuild, 'idempotencyKey' | 'certs' | 'retryOfId'> & { status: BuildStatus; certsSha256: string | null };

/**
 * A new PENDING build of the same inputs, linked to the finished one; returns it.
 * Certificates are deleted when a build finishes, so a build that had them needs fresh ones.
 */
export async function retryBuild(
  pool: SqlPool,
  settings: SubmitSettings,
  submitter: Submitter,
  buildId: string,
  certsUploadId?: string | null,
): Promise<Build> {
  const id = assertId(buildId, 'id');
  return pool.transaction(async (tx) => {
    const [original] = await tx.query<RetriedBuild>(sql`
      SELECT status, platform, priority, metadata, "maxAttempts", "timeoutSeconds", "heartbeatTimeoutSeconds",
        "sourceKey", "sourceSize", "sourceSha256", "certsSha256"
      FROM "Build" WHERE id = ${id}::uuid`);
    if (!original) throw notFound('Build');
    if (!FINISHED_STATUSES.includes(original.status))
      throw conflict(`Only a finished build can be retried; this one is ${original.status}`, { status: original.status });
    if (original.certsSha256 && !certsUploadId)
      throw conflict('This build was signed and its certificates were deleted when it finished: pass certsUploadId');
    const certs = certsUploadId
      ? await consumeUpload(tx, certsUploadId, { kind: 'CERTS', createdById: submitter.apiKeyId }, 'certsUploadId')
      : null;
    const { status: _status, certsSha256: _certsSha256, ...inputs } = original;
    return insertPendingBuild(tx, settings, submitter, { ...inputs, certs, retryOfId: id });
  });
}

/**
 * Inserts the build, its timeline row and its events in one statement. Backpressure: past the
 * bound nothing is inserted and the submit is refused, rather than let the queue grow without
 * limit. Counting stops at the bound, so a deep queue does not make every submit slower.
 */
async function insertPendingBuild(tx: SqlClient, settings: SubmitSettings, submitter: Submitter, build: NewBuild): Promise<Build> {
  const id = randomUUID();
  const events = buildChangeEvents({ buildId: id, status: 'PENDING', platform: build.platform, workerId: null });
  const [inserted] = await tx.query<{ pending: number; id: string | null } & Record<string, unknown>>(sql`
    WITH pending AS (
      SELECT count(*)::int AS count FROM (SELECT 1 FROM "Build" WHERE status = 'PENDING' LIMIT ${settings.maxPendingBuilds}::int) bounded
    ), inserted AS (
      INSERT INTO "Build" (id, status, platform, priority, metadata, "maxAttempts", "timeoutSeconds", "heartbeatTimeoutSeconds",
        "idempotencyKey", "sourceKey", "sourceSize", "sourceSha256", "certsKey", "certsSize", "certsSha256", "retryOfId", "submittedById")
      SELECT ${id}::uuid, 'PENDING', ${build.platform}::"Platform", ${build.priority}::int, ${JSON.stringify(build.metadata)}::jsonb,
        ${build.maxAttempts}::int, ${build.timeoutSeconds}::int, ${build.heartbeatTimeoutSeconds}::int, ${build.idempotencyKey ?? null},
        ${build.sourceKey}, ${build.sourceSize}::bigint, ${build.sourceSha256},
        ${build.certs?.key ?? null}, ${build.certs?.size ?? null}::bigint, ${build.certs?.sha256 ?? null},
        ${build.retryOfId ?? null}::uuid, ${submitter.apiKeyId}::uuid
      FROM pending WHERE pending.count < ${settings.maxPendingBuilds}::int
      RETURNING *
    ), event AS (
      INSERT INTO "BuildEvent" ("buildId", "toStatus", actor, reason)
      SELECT id, 'PENDING', ${submitter.actor}, ${build.retryOfId ? 'retry' : 'submitted'} FROM inserted
    )
    SELECT inserted.*, pending.count AS pending FROM pending LEFT JOIN (SELECT *, ${notifyList(events)} FROM inserted) inserted ON true`);
  if (!inserted?.id)
    throw queueFull(`The queue already holds ${inserted?.pending} pending builds (limit ${settings.maxPendingBuilds}); try again later`);
  recordTransition(null, 'PENDING');
  return buildFromRow(inserted);
}
