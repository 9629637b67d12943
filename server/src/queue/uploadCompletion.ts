import type { Tx } from '../db/client.ts';
import type { SqlClient } from '../db/sql.ts';
import type { Principal } from '../auth/principal.ts';
import { badInput, conflict, forbidden, notFound } from '../errors.ts';
import type { Upload } from '../generated/prisma/client.ts';
import { DirectUploadError, type DirectTransfers, type ObjectStorage, type PresignedRequest } from '../storage/objectStorage.ts';
import { recordReceivedUpload } from './uploads.ts';
import { assertId, assertIntegerInRange, assertSha256, isId } from './validate.ts';

/** What a finished upload holds: the API's `UploadReceipt`. Size in bytes, sha256 in hex. */
export interface UploadReceipt {
  id: string;
  size: number;
  sha256: string;
}

/** A presigned PUT for one part of a multipart upload (the API's `UploadPartTicket`). */
export interface UploadPartTicket extends PresignedRequest {
  number: number;
  expiresAt: Date;
}

/** S3 allows at most 10,000 parts. */
const MAX_PARTS = 10_000;

/**
 * The caller's upload, read for a follow-up call (parts, completion). Throws NOT_FOUND when it does
 * not exist, FORBIDDEN when another key or worker made it.
 */
async function ownUpload(db: Tx, principal: Principal, uploadId: string): Promise<Upload> {
  const upload = await db.upload.findUnique({ where: { id: assertId(uploadId, 'uploadId') } });
  if (!upload) throw notFound('Upload');
  const owner =
    (principal.kind === 'apiKey' && upload.createdById === principal.apiKeyId) ||
    (principal.kind === 'worker' && upload.createdByWorkerId === principal.workerId);
  if (!owner) throw forbidden('This upload belongs to someone else');
  return upload;
}

const partCountOf = (upload: Upload, partBytes: number) => Math.ceil(Number(upload.maxSize) / partBytes);

/**
 * Presigned PUTs for parts of the caller's multipart upload, each signed with the part's exact size
 * and the sha256 (hex) the caller declares for it, so the storage refuses other bytes. Part n
 * (1-based) holds bytes [(n-1)·partSize, min(n·partSize, size)). Parts may be asked for in any
 * groups, and again once their URLs expire. Throws NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (not
 * multipart, expired, a part number out of range or repeated), CONFLICT (already completed).
 */
export async function createUploadParts(
  db: Tx,
  storage: ObjectStorage,
  config: { uploadUrlTtlSeconds: number },
  principal: Principal,
  input: { uploadId: string; parts: { number: number; sha256: string }[] },
): Promise<UploadPartTicket[]> {
  const upload = await ownUpload(db, principal, input.uploadId);
  const direct = storage.direct;
  if (!direct || !upload.multipartUploadId) throw badInput('This upload is a single PUT: send its bytes to its url');
  if (upload.completedAt) throw conflict('This upload is already complete');
  if (upload.expiresAt.getTime() <= Date.now()) throw badInput('This upload has expired: create a new one');
  const partCount = partCountOf(upload, direct.partBytes);
  if (input.parts.length === 0 || input.parts.length > partCount) throw badInput(`parts must name 1 to ${partCount} parts`);
  const seen = new Set<number>();
  const parts = input.parts.map((part) => {
    const number = assertIntegerInRange(part.number, 1, partCount, 'A part number');
    if (seen.has(number)) throw badInput(`Part ${number} is named twice`);
    seen.add(number);
    const size = Math.min(direct.partBytes, Number(upload.maxSize) - (number - 1) * direct.partBytes);
    return { number, size, sha256: assertSha256(part.sha256, `The sha256 of part ${number}`) };
  });
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + Math.ceil(config.uploadUrlTtlSeconds)) * 1000);
  return Promise.all(
    parts.map(async (part) => ({
      number: part.number,
      expiresAt,
      ...(await direct.presignPart(upload.storageKey, upload.multipartUploadId!, part, config.uploadUrlTtlSeconds)),
    })),
  );
}

/**
 * Finishes the caller's upload and answers its receipt. A multipart upload is assembled from the
 * parts listed (every part once, with the ETag its PUT answered and its sha256); a single PUT is
 * checked to be in place. Idempotent: a completed upload answers its receipt again. Throws
 * NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (no bytes yet, the wrong size, parts missing or refused by
 * the storage).
 */
export async function completeUpload(
  db: Tx,
  writes: SqlClient,
  storage: ObjectStorage,
  principal: Principal,
  input: { uploadId: string; parts?: { number: number; etag: string; sha256: string }[] | null },
): Promise<UploadReceipt> {
  const upload = await ownUpload(db, principal, input.uploadId);
  if (upload.completedAt) return receiptOf(upload);
  const { direct } = storage;
  if (upload.multipartUploadId && direct) {
    if (!input.parts) throw badInput('parts are required to complete a multipart upload');
    const partCount = partCountOf(upload, direct.partBytes);
    const parts = [...input.parts].sort((a, b) => a.number - b.number);
    if (parts.length !== partCount || parts.some((part, index) => part.number !== index + 1))
      throw badInput(`parts must list parts 1 to ${partCount}, each once`);
    try {
      await direct.completeMultipart(
        upload.storageKey,
        upload.multipartUploadId,
        parts.map((part) => ({
          number: part.number,
          etag: part.etag,
          sha256: assertSha256(part.sha256, `The sha256 of part ${part.number}`),
        })),
      );
    } catch (error) {
      if (error instanceof DirectUploadError) throw badInput(error.message);
      throw error;
    }
  } else if (input.parts) {
    throw badInput('This upload is a single PUT: complete it without parts');
  }
  const problem = direct && upload.kind !== 'CERTS' ? await receiveDirectUpload(writes, { ...storage, direct }, upload) : 'no bytes';
  if (problem === 'no bytes') throw badInput('This upload has no bytes yet: PUT them to its URL first');
  if (problem) throw badInput(problem);
  const received = await db.upload.findUniqueOrThrow({ where: { id: upload.id } });
  return receiptOf(received);
}

function receiptOf(upload: Upload): UploadReceipt {
  return { id: upload.id, size: Number(upload.size), sha256: upload.sha256! };
}

/**
 * Records a direct upload's bytes once the storage holds exactly the declared size (the storage
 * itself checked their sha256, which the URL signed). An object of another size (possible only on
 * storage that ignores the signed length) is deleted so the URL can be used again. Returns null
 * when recorded (by this call or an earlier one), 'no bytes' when nothing is stored yet, or what is
 * wrong.
 */
async function receiveDirectUpload(
  writes: SqlClient,
  storage: ObjectStorage & { direct: DirectTransfers },
  upload: Upload,
): Promise<string | 'no bytes' | null> {
  const size = await storage.direct.size(upload.storageKey);
  if (size === null) return 'no bytes';
  if (size !== Number(upload.maxSize)) {
    await storage.delete(upload.storageKey);
    return `The storage holds ${size} bytes for this upload, which was declared as ${upload.maxSize}: PUT it again`;
  }
  await recordReceivedUpload(writes, { id: upload.id, storageKey: upload.storageKey, size, sha256: upload.expectedSha256! });
  return null;
}

/**
 * Before a build consumes uploads (submitBuild, completeBuild): single-PUT uploads sent straight to
 * object storage are recorded here if their client did not call completeUpload, so the consuming
 * statement finds them complete. With local disk (the PUT records its own receipt) this reads
 * nothing. Uploads with nothing usable stored are left as they are: the consumer names the problem.
 */
export async function receiveDirectUploads(db: Tx, writes: SqlClient, storage: ObjectStorage, uploadIds: (string | null | undefined)[]) {
  const { direct } = storage;
  if (!direct) return;
  const ids = uploadIds.filter((id): id is string => typeof id === 'string' && isId(id)).map((id) => id.toLowerCase());
  if (ids.length === 0) return;
  const waiting = await db.upload.findMany({
    where: { id: { in: ids }, completedAt: null, multipartUploadId: null, kind: { not: 'CERTS' } },
  });
  await Promise.all(waiting.map((upload) => receiveDirectUpload(writes, { ...storage, direct }, upload)));
}
