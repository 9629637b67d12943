import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import type { Tx } from '../db/client.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import type { Principal } from '../auth/principal.ts';
import { isReader } from '../auth/principal.ts';
import { badInput, conflict, forbidden, notFound, payloadTooLarge } from '../errors.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import { assertOwnActiveBuild, lockBuild } from './buildRows.ts';
import { assertId, assertText } from './validate.ts';

export interface CreateUploadInput {
  kind: UploadKind;
  filename: string;
  size: number;
  buildId?: string | null;
}

export const uploadPath = (uploadId: string) => `/artifacts/uploads/${uploadId}`;

/**
 * Reserves an upload and returns the signed URL its bytes are PUT to. Sources and certificates
 * come from submitters; results from the worker running the build.
 */
export async function createUpload(
  db: Tx,
  config: Pick<Config, 'maxUploadBytes' | 'uploadUrlTtlSeconds'>,
  signer: UrlSigner,
  principal: Principal,
  input: CreateUploadInput,
) {
  const filename = assertText(input.filename, 255, 'filename');
  const maxBytes = config.maxUploadBytes[input.kind];
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw badInput('size must be a non-negative integer');
  if (input.size > maxBytes) throw payloadTooLarge(`A ${input.kind} upload may be at most ${maxBytes} bytes`);

  let owner: { createdById?: string; createdByWorkerId?: string; buildId?: string };
  if (input.kind === 'RESULT') {
    if (principal.kind !== 'worker') throw forbidden('Only the worker running a build uploads its result');
    if (!input.buildId) throw badInput('buildId is required for a RESULT upload');
    const buildId = assertId(input.buildId, 'buildId');
    const build = await lockBuild(db, buildId);
    assertOwnActiveBuild(build, principal.workerId);
    owner = { createdByWorkerId: principal.workerId, buildId };
  } else {
    if (!isReader(principal) || principal.kind !== 'apiKey')
      throw forbidden('Only ADMIN and SUBMITTER keys upload sources and certificates');
    if (input.buildId) throw badInput('buildId is only for RESULT uploads');
    owner = { createdById: principal.apiKeyId };
  }

  const id = randomUUID();
  const signed = signer.sign('PUT', uploadPath(id), config.uploadUrlTtlSeconds);
  await db.upload.create({
    data: { id, kind: input.kind, filename, maxSize: input.size, expiresAt: signed.expiresAt, storageKey: `uploads/${id}`, ...owner },
  });
  return { id, url: signed.url, expiresAt: signed.expiresAt };
}

interface LockedUpload {
  kind: UploadKind;
  createdById: string | null;
  createdByWorkerId: string | null;
  buildId: string | null;
  storageKey: string;
  size: bigint | null;
  sha256: string | null;
  completedAt: Date | null;
  consumedAt: Date | null;
}

/** Takes a finished upload for a build, once: locked, checked and marked consumed. */
export async function consumeUpload(
  tx: Tx,
  uploadId: string,
  expected: { kind: UploadKind; createdById?: string; createdByWorkerId?: string; buildId?: string },
  what: string,
) {
  const id = assertId(uploadId, what);
  const [upload] = await tx.$queryRaw<LockedUpload[]>`
    SELECT kind, "createdById", "createdByWorkerId", "buildId", "storageKey", size, sha256, "completedAt", "consumedAt"
    FROM "Upload" WHERE id = ${id}::uuid FOR UPDATE`;
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
  await tx.upload.update({ where: { id }, data: { consumedAt: new Date() } });
  return { key: upload.storageKey, size: upload.size, sha256: upload.sha256 };
}
