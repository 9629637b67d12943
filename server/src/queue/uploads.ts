import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import type { Tx } from '../db/client.ts';
import { Sql, sql, type SqlClient } from '../db/sql.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import type { Principal } from '../auth/principal.ts';
import { may } from '../auth/principal.ts';
import { badInput, conflict, forbidden, notFound, payloadTooLarge } from '../errors.ts';
import type { DirectTransfers, ObjectStorage, PresignedRequest } from '../storage/objectStorage.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import { ACTIVE_STATUSES, assertOwnActiveBuild, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
import { assertId, assertSha256, assertText, isId } from './validate.ts';

export interface CreateUploadInput {
  kind: UploadKind;
  filename: string;
  size: number;
  /** The SHA-256 (hex) of the whole body; required when the bytes go straight to object storage. */
  sha256?: string | null;
  buildId?: string | null;
}

/** Where and how a client sends an upload's bytes (the `UploadTicket` of the API). */
export interface UploadTicket {
  id: string;
  /** Where to PUT the whole body; null for a multipart upload. */
  url: string | null;
  /** Headers the PUT must carry as given. */
  headers: PresignedRequest['headers'];
  expiresAt: Date;
  /** Bytes per part of a multipart upload (the last part holds the rest), else null. */
  partSize: number | null;
  /** 0 for a single PUT. */
  partCount: number;
}

/**
 * An upload's signed PUT path. It names the upload's kind, declared size and (when declared)
 * sha256, so a PUT is checked against them without reading the row first (the signature covers
 * the path).
 */
export const uploadPath = (uploadId: string, kind: UploadKind, maxSize: number, sha256: string | null) =>
  `/artifacts/uploads/${uploadId}/${kind.toLowerCase()}/${maxSize}${sha256 ? `/${sha256}` : ''}`;

/**
 * Where an upload's bytes go; each PUT adds its own suffix (uploadObjectKey). 256
 * directories by the id's first two hex digits: concurrent uploads rarely contend for one
 * directory's lock (creating a file takes it), and none grows past a few thousand entries.
 */
export const uploadStorageKey = (uploadId: string) => `uploads/${uploadId.slice(0, 2)}/${uploadId}`;

/**
 * A new storage key for one PUT of the upload, recorded on its row only if that PUT wins the
 * receipt (recordReceivedUpload): two concurrent PUTs of one URL must not overwrite, or delete,
 * each other's bytes.
 */
export const uploadObjectKey = (uploadId: string) => `${uploadStorageKey(uploadId)}-${randomBytes(6).toString('hex')}`;

/** uploadObjectKey's shape: the upload's id (36 characters, checked by isId) and the PUT's suffix. */
const UPLOAD_OBJECT_KEY = /^uploads\/[0-9a-f]{2}\/(.{36})(?:-[0-9a-f]{12})?$/;

/**
 * The file name an artifact was uploaded with (createUpload's `filename`), found by the storage key
 * a build holds: the key names its upload (uploadObjectKey), so no column repeats the name.
 * Returns null for a key of another shape or an upload row that is gone.
 */
export async function uploadedFilename(db: Tx, storageKey: string): Promise<string | null> {
  const uploadId = UPLOAD_OBJECT_KEY.exec(storageKey)?.[1];
  if (!uploadId || !isId(uploadId)) return null;
  const upload = await db.upload.findUnique({ where: { id: uploadId }, select: { filename: true } });
  return upload?.filename ?? null;
}

/**
 * Reserves an upload and says where its bytes go (UploadTicket). Sources and certificates come
 * from submitters; results from the worker running the build. With object storage, sources and
 * results go straight to the bucket (a presigned PUT, or presigned parts past the storage's part
 * size) and `sha256` is required, since the storage enforces it; certificates always come through
 * the server, which seals them. Otherwise the URL is the server's own signed one. One statement:
 * a RESULT's build is locked and the upload inserted only while the build is the worker's and
 * running; the locked row then says which check failed. Throws BAD_USER_INPUT, PAYLOAD_TOO_LARGE,
 * FORBIDDEN, NOT_FOUND, CONFLICT.
 */
export async function createUpload(
  db: SqlClient,
  services: { config: Pick<Config, 'maxUploadBytes' | 'uploadUrlTtlSeconds'>; signer: UrlSigner; storage: ObjectStorage },
  principal: Principal,
  input: CreateUploadInput,
): Promise<UploadTicket> {
  const { config, signer } = services;
  const filename = assertText(input.filename, 255, 'filename');
  const maxBytes = config.maxUploadBytes[input.kind];
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw badInput('size must be a non-negative integer');
  if (input.size > maxBytes) throw payloadTooLarge(`A ${input.kind} upload may be at most ${maxBytes} bytes`);
  const sha256 = input.sha256 == null ? null : assertSha256(input.sha256, 'sha256');
  const uploader = assertUploader(principal, input);
  const direct = input.kind === 'CERTS' ? undefined : services.storage.direct;
  if (direct && sha256 === null) throw badInput('sha256 is required: this server keeps artifacts in object storage, which checks it');

  const id = randomUUID();
  const storageKey = uploadStorageKey(id);
  const ticket = await uploadTicket(id, storageKey, input, sha256, direct, signer, config.uploadUrlTtlSeconds);
  const multipartUploadId = ticket.multipartUploadId ?? null;
  const insert = (owner: { createdById: string | null; createdByWorkerId: string | null; buildId: string | null }) => sql`
    INSERT INTO "Upload" (id, kind, filename, "maxSize", "expiresAt", "storageKey", "expectedSha256", "multipartUploadId",
      "createdById", "createdByWorkerId", "buildId")
    SELECT ${id}::uuid, ${input.kind}::"UploadKind", ${filename}, ${input.size}::bigint, ${ticket.expiresAt}, ${storageKey},
      ${sha256}, ${multipartUploadId}, ${owner.createdById}::uuid, ${owner.createdByWorkerId}::uuid, ${owner.buildId}::uuid`;

  try {
    if (uploader.kind === 'worker') {
      const buildId = assertId(input.buildId!, 'buildId');
      const workerId = uploader.workerId;
      const [build] = await db.query<LockedBuild>(sql`
        WITH build AS (
          SELECT ${LOCKED_BUILD_COLUMNS} FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE
        ), inserted AS (
          -- assertOwnActiveBuild below, as a condition.
          ${insert({ createdById: null, createdByWorkerId: workerId, buildId })}
          WHERE EXISTS (SELECT 1 FROM build WHERE "workerId" = ${workerId}::uuid AND status = ANY(${ACTIVE_STATUSES}::"BuildStatus"[]))
        )
        SELECT * FROM build`);
      if (!build) throw notFound('Build');
      assertOwnActiveBuild(build, workerId);
    } else {
      await db.execute(insert({ createdById: uploader.apiKeyId, createdByWorkerId: null, buildId: null }));
    }
  } catch (error) {
    // A refused upload leaves no multipart upload behind in the bucket.
    if (multipartUploadId) await direct!.abortMultipart(storageKey, multipartUploadId).catch(() => {});
    throw error;
  }
  const { multipartUploadId: _started, ...answer } = ticket;
  return answer;
}

/**
 * Who may upload what: results by the worker running the build (named by buildId), sources and
 * certificates by ADMIN and SUBMITTER keys. Returns the caller; throws FORBIDDEN or BAD_USER_INPUT.
 */
function assertUploader(principal: Principal, input: CreateUploadInput): Exclude<Principal, { kind: 'anonymous' }> {
  if (input.kind === 'RESULT') {
    if (principal.kind !== 'worker') throw forbidden('Only the worker running a build uploads its result');
    if (!input.buildId) throw badInput('buildId is required for a RESULT upload');
    return principal;
  }
  if (!may(principal, 'submit') || principal.kind !== 'apiKey')
    throw forbidden('Only ADMIN and SUBMITTER keys upload sources and certificates');
  if (input.buildId) throw badInput('buildId is only for RESULT uploads');
  return principal;
}

/** The ticket for a new upload: the server's signed URL, a presigned bucket PUT, or a multipart upload started in the bucket. */
async function uploadTicket(
  id: string,
  storageKey: string,
  input: CreateUploadInput,
  sha256: string | null,
  direct: DirectTransfers | undefined,
  signer: UrlSigner,
  ttlSeconds: number,
): Promise<UploadTicket & { multipartUploadId?: string }> {
  const single = { id, partSize: null, partCount: 0 };
  if (!direct) {
    const signed = signer.sign('PUT', uploadPath(id, input.kind, input.size, sha256), ttlSeconds);
    return { ...single, url: signed.url, headers: [], expiresAt: signed.expiresAt };
  }
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + Math.ceil(ttlSeconds)) * 1000);
  if (input.size <= direct.partBytes)
    return { ...single, ...(await direct.presignPut(storageKey, input.size, sha256!, ttlSeconds)), expiresAt };
  const multipartUploadId = await direct.startMultipart(storageKey);
  return {
    id,
    url: null,
    headers: [],
    expiresAt,
    partSize: direct.partBytes,
    partCount: Math.ceil(input.size / direct.partBytes),
    multipartUploadId,
  };
}

/** An upload as a build consumes it, read under a row lock. */
export interface LockedUpload {
  kind: UploadKind;
  createdById: string | null;
  createdByWorkerId: string | null;
  buildId: string | null;
  storageKey: string;
  size: string | null;
  sha256: string | null;
  completedAt: Date | null;
  consumedAt: Date | null;
}

export const LOCKED_UPLOAD_COLUMNS = sql`kind, "createdById", "createdByWorkerId", "buildId", "storageKey", size, sha256, "completedAt", "consumedAt"`;

export type ExpectedUpload = { kind: UploadKind; createdById?: string; createdByWorkerId?: string; buildId?: string };

/** Names what makes an upload unusable for the caller: missing, someone else's, the wrong kind, empty or used. */
export function assertUsableUpload(
  upload: LockedUpload | undefined,
  expected: ExpectedUpload,
  what: string,
): asserts upload is LockedUpload {
  if (!upload) throw notFound('Upload');
  const ownedByCaller =
    (expected.createdById === undefined || upload.createdById === expected.createdById) &&
    (expected.createdByWorkerId === undefined || upload.createdByWorkerId === expected.createdByWorkerId) &&
    (expected.buildId === undefined || upload.buildId === expected.buildId);
  if (!ownedByCaller) throw forbidden(`${what} belongs to someone else`);
  if (upload.kind !== expected.kind) throw badInput(`${what} is a ${upload.kind} upload, not ${expected.kind}`);
  if (!upload.completedAt || upload.size === null || upload.sha256 === null)
    throw badInput(`${what} has no bytes yet: PUT them to its URL first`);
  if (upload.consumedAt) throw conflict(`${what} was already used`);
}

/** assertUsableUpload as an SQL condition on the locked upload row named `row`, for one-statement consumers. */
export function usableUpload(row: 'upload' | 'source' | 'certs', expected: ExpectedUpload): Sql {
  const upload = new Sql([`"${row}"`], []);
  const owner = [
    expected.createdById !== undefined ? sql` AND ${upload}."createdById" = ${expected.createdById}::uuid` : sql``,
    expected.createdByWorkerId !== undefined ? sql` AND ${upload}."createdByWorkerId" = ${expected.createdByWorkerId}::uuid` : sql``,
    expected.buildId !== undefined ? sql` AND ${upload}."buildId" = ${expected.buildId}::uuid` : sql``,
  ];
  return sql`(${upload}.kind = ${expected.kind}::"UploadKind" AND ${upload}."consumedAt" IS NULL AND ${upload}."completedAt" IS NOT NULL
    AND ${upload}.size IS NOT NULL AND ${upload}.sha256 IS NOT NULL${owner[0]}${owner[1]}${owner[2]})`;
}

/** Takes a finished upload for a build, once: locked, checked and marked consumed. */
export async function consumeUpload(tx: SqlClient, uploadId: string, expected: ExpectedUpload, what: string) {
  const id = assertId(uploadId, what);
  const [upload] = await tx.query<LockedUpload>(sql`SELECT ${LOCKED_UPLOAD_COLUMNS} FROM "Upload" WHERE id = ${id}::uuid FOR UPDATE`);
  assertUsableUpload(upload, expected, what);
  await tx.execute(sql`UPDATE "Upload" SET "consumedAt" = now() WHERE id = ${id}::uuid`);
  return { key: upload.storageKey, size: upload.size!, sha256: upload.sha256! };
}

export type Receipt = 'recorded' | 'received before' | 'not found';

/** Records the stored bytes of an upload, once: another PUT may have got there first. */
export async function recordReceivedUpload(
  db: SqlClient,
  received: { id: string; storageKey: string; size: number; sha256: string },
): Promise<Receipt> {
  const [row] = await db.query<{ recorded: boolean; found: boolean }>(sql`
    WITH recorded AS (
      UPDATE "Upload" SET "storageKey" = ${received.storageKey}, size = ${received.size}::bigint, sha256 = ${received.sha256},
        "completedAt" = now()
      WHERE id = ${received.id}::uuid AND "completedAt" IS NULL
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM recorded) AS recorded, EXISTS (SELECT 1 FROM "Upload" WHERE id = ${received.id}::uuid) AS found`);
  return row!.recorded ? 'recorded' : row!.found ? 'received before' : 'not found';
}
