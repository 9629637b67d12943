import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { buildFromRow, readBuild } from '../db/modelRows.ts';
import { sql, type Sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';
import { conflict, notFound, queueFull } from '../errors.ts';
import { assertNotified, buildChangeEvents, notifyRows, type BusEvent } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';
import { FINISHED_STATUSES, insertTimelineRows } from './buildRows.ts';
import { countPending, type PendingEstimate } from './pendingEstimate.ts';
import { assertUsableUpload, consumeUpload, LOCKED_UPLOAD_COLUMNS, type LockedUpload, usableUpload } from './uploads.ts';
import { normaliseLabels } from './labels.ts';
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
  /** Labels the worker must offer (queue/labels.ts grammar). */
  requiredLabels?: string[] | null;
}

export interface Submitter {
  apiKeyId: string;
  actor: string;
}

type SubmitSettings = Pick<Config, 'maxPendingBuilds' | 'maxAttempts' | 'buildTimeoutSeconds' | 'heartbeatTimeoutSeconds'>;

const MAX_METADATA_BYTES = 16 * 1024;
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
const UNIQUE_VIOLATION = '23505';

/** The settings of a new build (its artifacts are the statement's to give). */
interface NewBuild {
  platform: Platform;
  priority: number;
  metadata: object;
  maxAttempts: number;
  timeoutSeconds: number;
  heartbeatTimeoutSeconds: number;
  idempotencyKey?: string | null;
  requiredLabels: string[];
  retryOfId?: string;
}

/**
 * Queues a build from finished uploads and returns it. The same idempotency key from the
 * same key holder returns the build it first created instead of a second one, also under a
 * concurrent retry.
 *
 * One statement: the uploads are locked, and the build inserted, its timeline row written, its
 * events raised and the uploads consumed only if both are usable and the queue has room; the
 * locked uploads then say which check failed.
 */
export async function submitBuild(
  db: SqlClient,
  settings: SubmitSettings,
  pending: PendingEstimate,
  submitter: Submitter,
  input: SubmitBuildInput,
): Promise<Build> {
  const idempotencyKey = input.idempotencyKey == null ? null : assertText(input.idempotencyKey, 200, 'idempotencyKey');
  const build: NewBuild = {
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
    idempotencyKey,
    requiredLabels: normaliseLabels(input.requiredLabels, 'requiredLabels'),
  };
  const sourceUploadId = assertId(input.sourceUploadId, 'sourceUploadId');
  const certsUploadId = input.certsUploadId ? assertId(input.certsUploadId, 'certsUploadId') : null;
  const expectedSource = { kind: 'SOURCE' as const, createdById: submitter.apiKeyId };
  const expectedCerts = { kind: 'CERTS' as const, createdById: submitter.apiKeyId };
  if (idempotencyKey) {
    const existing = await findByIdempotencyKey(db, submitter.apiKeyId, idempotencyKey);
    if (existing) return readBuild(db, existing);
  }
  const countUpTo = await pending.countUpTo();
  const insert = toQueue(submitter, build);
  try {
    const [row] = await db.query<NewBuildRow & { source: LockedUpload | null; certs: LockedUpload | null }>(sql`
      WITH source AS (
        SELECT id, ${LOCKED_UPLOAD_COLUMNS} FROM "Upload" WHERE id = ${sourceUploadId}::uuid FOR UPDATE
      ), certs AS (
        SELECT id, ${LOCKED_UPLOAD_COLUMNS} FROM "Upload" WHERE id = ${certsUploadId}::uuid FOR UPDATE
      ), artifacts AS (
        -- assertUsableUpload below, as conditions.
        SELECT source."storageKey" AS "sourceKey", source.size AS "sourceSize", source.sha256 AS "sourceSha256",
          certs."storageKey" AS "certsKey", certs.size AS "certsSize", certs.sha256 AS "certsSha256"
        FROM source LEFT JOIN certs ON true
        WHERE ${usableUpload('source', expectedSource)} AND (${certsUploadId}::uuid IS NULL OR ${usableUpload('certs', expectedCerts)})
      ), pending AS (
        ${countPending(countUpTo)}
      ), inserted AS (
        INSERT INTO "Build" (${QUEUED_BUILD_COLUMNS})
        SELECT ${insert.settings}, a."sourceKey", a."sourceSize", a."sourceSha256", a."certsKey", a."certsSize", a."certsSha256"
        FROM artifacts a, pending WHERE pending.count < ${settings.maxPendingBuilds}::int
        RETURNING *
      ), event AS (
        ${insertTimelineRows(sql`inserted`, { from: null, to: 'PENDING', actor: submitter.actor, reason: 'submitted' })}
      ), consumed AS (
        UPDATE "Upload" SET "consumedAt" = now()
        WHERE id IN (SELECT id FROM source UNION ALL SELECT id FROM certs) AND EXISTS (SELECT 1 FROM inserted)
      )
      SELECT inserted.*, pending.count AS pending, ${notifyRows(sql`inserted`, insert.events)} AS notified,
        (SELECT to_jsonb(source) FROM source) AS source, (SELECT to_jsonb(certs) FROM certs) AS certs
      FROM pending LEFT JOIN inserted ON true`);
    assertUsableUpload(row.source ?? undefined, expectedSource, 'sourceUploadId');
    if (certsUploadId) assertUsableUpload(row.certs ?? undefined, expectedCerts, 'certsUploadId');
    const queued = newBuild(row, settings);
    pending.queued();
    return queued;
  } catch (error) {
    // A concurrent submit with the same key won the race: answer with its build.
    if (idempotencyKey && (error as { code?: string }).code === UNIQUE_VIOLATION) {
      const existing = await findByIdempotencyKey(db, submitter.apiKeyId, idempotencyKey);
      if (existing) return readBuild(db, existing);
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
type RetriedBuild = Omit<NewBuild, 'idempotencyKey' | 'retryOfId'> & {
  status: BuildStatus;
  sourceKey: string;
  sourceSize: string;
  sourceSha256: string;
  certsSha256: string | null;
};

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
      SELECT status, platform, priority, metadata, "maxAttempts", "timeoutSeconds", "heartbeatTimeoutSeconds", "requiredLabels",
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
    const { status: _status, certsSha256: _certsSha256, sourceKey, sourceSize, sourceSha256, ...inputs } = original;
    const insert = toQueue(submitter, { ...inputs, retryOfId: id });
    // Retries are rare and count exactly, up to the bound (submits count as PendingEstimate says).
    const [row] = await tx.query<NewBuildRow>(sql`
      WITH pending AS (
        ${countPending(settings.maxPendingBuilds)}
      ), inserted AS (
        INSERT INTO "Build" (${QUEUED_BUILD_COLUMNS})
        SELECT ${insert.settings}, ${sourceKey}, ${sourceSize}::bigint, ${sourceSha256},
          ${certs?.key ?? null}, ${certs?.size ?? null}::bigint, ${certs?.sha256 ?? null}
        FROM pending WHERE pending.count < ${settings.maxPendingBuilds}::int
        RETURNING *
      ), event AS (
        ${insertTimelineRows(sql`inserted`, { from: null, to: 'PENDING', actor: submitter.actor, reason: 'retry' })}
      )
      SELECT inserted.*, pending.count AS pending, ${notifyRows(sql`inserted`, insert.events)} AS notified
      FROM pending LEFT JOIN inserted ON true`);
    return newBuild(row, settings);
  });
}

/** The inserted build's columns (null when nothing was inserted), the pending count seen and the rows notified. */
type NewBuildRow = Record<string, unknown> & { id: string | null; pending: number; notified: number };

/** The columns a build is queued with: toQueue()'s settings, then its artifacts (source and certs: key, size, sha256). */
const QUEUED_BUILD_COLUMNS = sql`id, status, platform, priority, metadata, "maxAttempts", "timeoutSeconds", "heartbeatTimeoutSeconds",
  "idempotencyKey", "retryOfId", "submittedById", "requiredLabels", "sourceKey", "sourceSize", "sourceSha256", "certsKey", "certsSize", "certsSha256"`;

/**
 * A build about to be queued under a new id: the values of QUEUED_BUILD_COLUMNS up to its artifacts,
 * and the events its insert raises.
 */
function toQueue(submitter: Submitter, build: NewBuild): { settings: Sql; events: BusEvent[] } {
  const id = randomUUID();
  return {
    settings: sql`${id}::uuid, 'PENDING', ${build.platform}::"Platform", ${build.priority}::int, ${JSON.stringify(build.metadata)}::jsonb,
      ${build.maxAttempts}::int, ${build.timeoutSeconds}::int, ${build.heartbeatTimeoutSeconds}::int, ${build.idempotencyKey ?? null},
      ${build.retryOfId ?? null}::uuid, ${submitter.apiKeyId}::uuid, ${build.requiredLabels}::text[]`,
    events: buildChangeEvents({ buildId: id, status: 'PENDING', platform: build.platform, workerId: null }),
  };
}

/**
 * The new build from its statement's row (submitBuild's or retryBuild's). Throws QUEUE_FULL when the
 * bound kept it out (backpressure: the queue does not grow without limit).
 */
function newBuild(row: NewBuildRow | undefined, settings: SubmitSettings): Build {
  assertNotified('queueing a build', row?.id ? 1 : 0, row?.notified);
  if (!row?.id)
    throw queueFull(`The queue already holds ${row?.pending} pending builds (limit ${settings.maxPendingBuilds}); try again later`);
  recordTransition(null, 'PENDING');
  return buildFromRow(row);
}
