import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform, finished, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { database } from '../db/client.ts';
import type { SqlClient } from '../db/sql.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import { type Receipt, recordReceivedUpload, uploadedFilename, uploadObjectKey } from '../queue/uploads.ts';
import type { ErrorCode } from '../errors.ts';
import type { CertCipher } from '../storage/certEncryption.ts';
import { ObjectNotFoundError, type ObjectStorage } from '../storage/objectStorage.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import { currentRequestId } from './requestContext.ts';
import { attachmentDisposition, sendError, sendJson } from './respond.ts';

export interface ArtifactHandlerDeps {
  storage: ObjectStorage;
  /** Group commit, for an upload's receipt. */
  writes: SqlClient;
  signer: UrlSigner;
  certCipher: CertCipher;
  log: Logger;
}

type ArtifactKind = 'source' | 'certs' | 'result';

const UPLOAD_PATH = /^\/artifacts\/uploads\/([^/]+)\/(source|certs|result)\/([0-9]{1,15})$/;
const DOWNLOAD_PATH = /^\/artifacts\/builds\/([^/]+)\/(source|certs|result)$/;
// Ids in signed paths are the server's own lowercase UUIDs; anything else cannot be a row.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Uploads declared at up to this size are read whole and stored from memory rather than streamed. */
const SMALL_BODY_BYTES = 64 * 1024;
/** How long a refused upload's body is read and discarded before the connection is cut. */
const LINGER_MS = 5_000;

/**
 * The signed-URL routes that move artifact bytes (docs/architecture.md principle 5):
 * `PUT /artifacts/uploads/<id>/<kind>/<size>` stores an upload of exactly `size` bytes,
 * `GET` (or `HEAD`) `/artifacts/builds/<id>/<source|certs|result>` serves a build's artifact.
 * Sources and results are streamed both ways (only uploads of at most 64 KiB are read whole);
 * certificates are encrypted at rest.
 */
export function createArtifactHandler(deps: ArtifactHandlerDeps) {
  return async function handleArtifact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const upload = UPLOAD_PATH.exec(url.pathname);
    const download = DOWNLOAD_PATH.exec(url.pathname);
    if (!upload && !download) return refuse(req, res, 404, 'NOT_FOUND', 'No such artifact');
    const methods = upload ? ['PUT'] : ['GET', 'HEAD'];
    if (!methods.includes(req.method ?? ''))
      return refuse(req, res, 405, 'BAD_USER_INPUT', `Use ${methods.join(' or ')} on this URL`, { allow: methods.join(', ') });

    // A download URL is signed for GET; HEAD asks the same URL for the same headers.
    const signature = deps.signer.verify(upload ? 'PUT' : 'GET', url.pathname, url.searchParams);
    if (signature !== 'ok') return refuse(req, res, 403, 'FORBIDDEN', signature === 'expired' ? 'signed URL expired' : 'invalid signature');

    // The signature covers the path, so its kind and size are the ones createUpload declared.
    if (upload) return receiveUpload(deps, req, res, upload[1]!, upload[2]!.toUpperCase() as UploadKind, Number(upload[3]));
    return sendArtifact(deps, req, res, download![1]!, download![2] as ArtifactKind);
  };
}

/**
 * Stores a PUT's bytes and records them on the upload's row, if no other PUT did first. The URL's
 * signature vouches for the upload's kind, size and expiry, so the row is not read beforehand:
 * a PUT to an upload received already is stored, refused and removed again. Only a body of
 * exactly the declared size is kept, however it is framed; any other, or one the client abandons,
 * leaves neither bytes nor a receipt, so the URL can be used again.
 */
async function receiveUpload(
  deps: ArtifactHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  uploadId: string,
  kind: UploadKind,
  size: number,
) {
  if (!UUID.test(uploadId)) return refuse(req, res, 404, 'NOT_FOUND', 'Upload not found');
  // A Content-Length that is not the declared size is refused before the body is read.
  const contentLength = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (contentLength !== undefined && contentLength !== size) return refuseWrongLength(req, res, size, contentLength);

  const key = uploadObjectKey(uploadId);
  const hash = createHash('sha256');
  const body = new ExactLength(size, hash);
  // pipe, not pipeline: pipeline would destroy the request, and with it the socket a refusal
  // needs; pipe only unpipes when the meter fails. It does not forward the request's errors, though,
  // so a client that goes away fails the meter here.
  req.pipe(body);
  finished(req, (error) => error && body.destroy(error));
  // The body can fail (too long) before put has attached to it; its error still reaches us, as
  // put's rejection, but must not crash the process as an unhandled 'error' event meanwhile.
  body.on('error', () => {});
  try {
    if (kind === 'CERTS') {
      // Certificates are capped at 10 MB by config: encrypted whole, never streamed to storage in clear.
      await deps.storage.put(key, deps.certCipher.encrypt(await readAll(body)));
    } else if (size <= SMALL_BODY_BYTES) {
      // Read whole and written at once: a file write stream costs a small body more than its bytes.
      await deps.storage.put(key, await readAll(body));
    } else {
      await deps.storage.put(key, body);
    }
  } catch (error) {
    if (error instanceof WrongLengthError) return refuseWrongLength(req, res, size, error.received);
    if (!req.complete && req.destroyed) {
      deps.log.info({ uploadId }, 'upload abandoned by the client');
      return;
    }
    deps.log.error({ err: error, uploadId }, 'storing an upload failed');
    return refuse(req, res, 500, 'INTERNAL', `Internal error (request ${currentRequestId()})`);
  }

  const sha256 = hash.digest('hex');
  let receipt: Receipt;
  try {
    receipt = await recordReceivedUpload(deps.writes, { id: uploadId, storageKey: key, size, sha256 });
  } catch (error) {
    await deps.storage.delete(key);
    throw error;
  }
  if (receipt !== 'recorded') {
    await deps.storage.delete(key);
    if (receipt === 'not found') return refuse(req, res, 404, 'NOT_FOUND', 'Upload not found');
    return refuse(req, res, 409, 'CONFLICT', 'Upload already received');
  }
  sendJson(res, 200, { id: uploadId, size, sha256 });
}

/**
 * Serves a build's artifact: GET streams its bytes, HEAD answers the same status and headers
 * (length, type, checksum, the uploaded file's name) without them. The stored object is opened for
 * HEAD too, so a missing one is the same 404 either way.
 */
async function sendArtifact(deps: ArtifactHandlerDeps, req: IncomingMessage, res: ServerResponse, buildId: string, kind: ArtifactKind) {
  const build = UUID.test(buildId) ? await database().build.findUnique({ where: { id: buildId } }) : null;
  if (!build) return refuse(req, res, 404, 'NOT_FOUND', 'Build not found');
  const artifact = {
    source: { key: build.sourceKey, size: build.sourceSize, sha256: build.sourceSha256 },
    certs: { key: build.certsKey, size: build.certsSize, sha256: build.certsSha256 },
    result: { key: build.resultKey, size: build.resultSize, sha256: build.resultSha256 },
  }[kind];
  if (artifact.key === null || artifact.size === null || artifact.sha256 === null)
    return refuse(req, res, 404, 'NOT_FOUND', `This build has no ${kind} artifact`);

  // The recorded size is the bytes as uploaded: for certificates, the decrypted archive's.
  const size = Number(artifact.size);
  const headers = {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    'content-disposition': attachmentDisposition(await uploadedFilename(database(), artifact.key)),
    'x-checksum-sha256': artifact.sha256,
    // Signed URLs are bearer secrets and certificates are secret: no cache keeps a copy.
    'cache-control': 'private, no-store',
  };

  let stored: Readable;
  try {
    stored = await deps.storage.get(artifact.key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return refuse(req, res, 404, 'NOT_FOUND', `The ${kind} artifact is gone`);
    throw error;
  }

  if (req.method === 'HEAD') {
    stored.destroy();
    res.writeHead(200, headers);
    res.end();
    return;
  }
  if (kind === 'certs') {
    const plain = deps.certCipher.decrypt(await readAll(stored));
    if (plain.length !== size) throw new Error(`certificate archive of build ${buildId} is ${plain.length} bytes, recorded ${size}`);
    res.writeHead(200, headers);
    res.end(plain);
    return;
  }
  res.writeHead(200, headers);
  try {
    await pipeline(stored, new ExactLength(size), res);
  } catch (error) {
    // The headers are out: pipeline has destroyed the response, which the client sees as cut short.
    deps.log.warn({ err: error, buildId, kind }, 'artifact download ended early');
  }
}

/**
 * Refuses a body that is not the declared size: 413 PAYLOAD_TOO_LARGE when longer, 400
 * BAD_USER_INPUT when shorter. `received` is its length, or for a longer one the bytes counted
 * when it was cut off.
 */
function refuseWrongLength(req: IncomingMessage, res: ServerResponse, declared: number, received: number) {
  if (received > declared)
    return refuse(req, res, 413, 'PAYLOAD_TOO_LARGE', `This upload was declared as ${declared} bytes; the body is longer`);
  return refuse(req, res, 400, 'BAD_USER_INPUT', `This upload was declared as ${declared} bytes; the body has ${received}`);
}

/**
 * Answers an error. A PUT may be refused before its body is read, and closing a socket with unread
 * bytes makes the kernel reset the connection, which can destroy the answer before the client reads
 * it. So the whole answer is written at once with `Connection: close`, and the connection is ended
 * only once the body has been read and discarded, or after LINGER_MS for a client that keeps sending.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
) {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (req.complete || !hasBody) return sendError(res, status, code, message, headers);
  const text = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
    ...headers,
  });
  res.write(text);
  const cutOff = setTimeout(() => res.destroy(), LINGER_MS);
  finished(req, () => {
    clearTimeout(cutOff);
    if (!res.destroyed) res.end();
  });
  req.resume();
}

/** A body, or a stored object, that is not the length it should be. */
class WrongLengthError extends Error {
  constructor(
    readonly expected: number,
    /** Its length, or for a longer one the bytes counted when it was cut off. */
    readonly received: number,
  ) {
    super(`expected ${expected} bytes, received ${received > expected ? 'more' : received}`);
  }
}

/**
 * Passes exactly `length` bytes through, feeding them to `hash` if given: fails with
 * WrongLengthError the moment more pass, or when the stream ends with fewer. Checks uploads against
 * their declared size, and downloads against the recorded one (a short object would otherwise
 * leave the client waiting on a keep-alive connection for bytes that never come).
 */
class ExactLength extends Transform {
  #bytes = 0;
  readonly #length: number;
  readonly #hash: Hash | undefined;

  constructor(length: number, hash?: Hash) {
    super();
    this.#length = length;
    this.#hash = hash;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#length) return callback(new WrongLengthError(this.#length, this.#bytes));
    this.#hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback) {
    callback(this.#bytes === this.#length ? null : new WrongLengthError(this.#length, this.#bytes));
  }
}

/** Only for certificate archives, which config caps at 10 MB, and small bodies. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
