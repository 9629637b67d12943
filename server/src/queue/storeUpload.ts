import { createHash } from 'node:crypto';
import { finished, type Readable } from 'node:stream';
import type { SqlClient } from '../db/sql.ts';
import type { ErrorCode } from '../errors.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import { ExactLength, readAll, WrongLengthError } from '../storage/bodyStreams.ts';
import type { CertCipher } from '../storage/certEncryption.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import { recordReceivedUpload, uploadObjectKey } from './uploads.ts';

/** Uploads declared at up to this size are read whole and stored from memory rather than streamed. */
const SMALL_BODY_BYTES = 64 * 1024;

/** An upload as its signed PUT URL declares it: size in bytes, sha256 in hex when declared. */
export interface DeclaredUpload {
  uploadId: string;
  kind: UploadKind;
  size: number;
  sha256: string | null;
}

export type StoreOutcome =
  /** Kept and recorded: the upload's receipt (size in bytes, sha256 hex). */
  | { stored: { id: string; size: number; sha256: string } }
  /** Not kept: why, as an HTTP status and error code for the client. */
  | { refused: { status: number; code: ErrorCode; message: string } }
  /** The body ended early because its sender went away: nothing kept, nobody to answer. */
  | { abandoned: true };

/** The refusal of a body that is not the declared size; `received` as WrongLengthError counts it. */
export function wrongLength(declared: number, received: number): Extract<StoreOutcome, { refused: unknown }> {
  if (received > declared)
    return {
      refused: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `This upload was declared as ${declared} bytes; the body is longer` },
    };
  return {
    refused: { status: 400, code: 'BAD_USER_INPUT', message: `This upload was declared as ${declared} bytes; the body has ${received}` },
  };
}

/**
 * Stores the bytes of `body` for a declared upload and records them on its row, if no other PUT
 * did first. The declaration comes from a signed URL, so the row is not read beforehand: bytes for
 * an upload received already are stored, refused and removed again. Only a body of exactly the
 * declared size (and sha256, when declared) is kept; any other, or one whose sender goes away,
 * leaves neither bytes nor a receipt, so the URL can be used again. Certificates are sealed whole
 * (config caps them at 10 MB) and never reach storage in clear. `body` is read but never destroyed
 * (a refusal still has to be written to its socket). Throws on a storage or database failure,
 * with nothing kept.
 */
export async function storeUpload(
  deps: { storage: ObjectStorage; writes: SqlClient; certCipher: CertCipher },
  upload: DeclaredUpload,
  body: Readable,
): Promise<StoreOutcome> {
  const { uploadId, kind, size } = upload;
  const key = uploadObjectKey(uploadId);
  const hash = createHash('sha256');
  const metered = new ExactLength(size, hash);
  // pipe, not pipeline: pipeline would destroy the body, and with it the socket a refusal needs;
  // pipe only unpipes when the meter fails. It does not forward the body's errors, though, so a
  // sender that goes away fails the meter here.
  body.pipe(metered);
  finished(body, (error) => error && metered.destroy(error));
  // The meter can fail (too long) before put has attached to it; its error still reaches us, as
  // put's rejection, but must not crash the process as an unhandled 'error' event meanwhile.
  metered.on('error', () => {});
  try {
    if (kind === 'CERTS') await deps.storage.put(key, deps.certCipher.encrypt(await readAll(metered)));
    // Read whole and written at once: a file write stream costs a small body more than its bytes.
    else if (size <= SMALL_BODY_BYTES) await deps.storage.put(key, await readAll(metered));
    else await deps.storage.put(key, metered);
  } catch (error) {
    if (error instanceof WrongLengthError) return wrongLength(size, error.received);
    if (body.readableAborted) return { abandoned: true };
    throw error;
  }

  const sha256 = hash.digest('hex');
  if (upload.sha256 !== null && sha256 !== upload.sha256) {
    await deps.storage.delete(key);
    return {
      refused: {
        status: 400,
        code: 'BAD_USER_INPUT',
        message: `The body's sha256 is ${sha256}; this upload was declared with ${upload.sha256}`,
      },
    };
  }
  let receipt;
  try {
    receipt = await recordReceivedUpload(deps.writes, { id: uploadId, storageKey: key, size, sha256 });
  } catch (error) {
    await deps.storage.delete(key);
    throw error;
  }
  if (receipt === 'recorded') return { stored: { id: uploadId, size, sha256 } };
  await deps.storage.delete(key);
  if (receipt === 'not found') return { refused: { status: 404, code: 'NOT_FOUND', message: 'Upload not found' } };
  return { refused: { status: 409, code: 'CONFLICT', message: 'Upload already received' } };
}
