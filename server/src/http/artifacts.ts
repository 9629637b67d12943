import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform, finished, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { database } from '../db/client.ts';
import type { SqlClient } from '../db/sql.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import { type Receipt, recordReceivedUpload, uploadStorageKey } from '../queue/uploads.ts';
import type { ErrorCode } from '../errors.ts';
import type { CertCipher } from '../storage/certEncryption.ts';
import { ObjectNotFoundError, type ObjectStorage } from '../storage/objectStorage.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import { currentRequestId } from './requestContext.ts';
import { sendError, sendJson } from './respond.ts';

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
/** Bodies up to this size (by their Content-Length) are stored from memory rather than streamed. */
const SMALL_BODY_BYTES = 64 * 1024;
/** How long a refused upload's body is read and discarded before the connection is cut. */
const LINGER_MS = 5_000;

/**
 * The signed-URL routes that move artifact bytes (DESIGN.md principle 5): `PUT /artifacts/uploads/<id>/<kind>/<size>`
 * stores an upload, `GET /artifacts/builds/<id>/<source|certs|result>` serves a build's artifact.
 * Sources and results are streamed both ways (only bodies of at most 64 KiB are read whole);
 * certificates are encrypted at rest.
 */
export function createArtifactHandler(deps: ArtifactHandlerDeps) {
  return async function handleArtifact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const upload = UPLOAD_PATH.exec(url.pathname);
    const download = DOWNLOAD_PATH.exec(url.pathname);
    if (!upload && !download) return refuse(req, res, 404, 'NOT_FOUND', 'No such artifact');
    const method = upload ? 'PUT' : 'GET';
    if (req.method !== method) return refuse(req, res, 405, 'BAD_USER_INPUT', `Use ${method} on this URL`, { allow: method });

    const signature = deps.signer.verify(method, url.pathname, url.searchParams);
    if (signature !== 'ok') return refuse(req, res, 403, 'FORBIDDEN', signature === 'expired' ? 'signed URL expired' : 'invalid signature');

    // The signature covers the path, so its kind and size are the ones createUpload declared.
    if (upload) return receiveUpload(deps, req, res, upload[1]!, upload[2]!.toUpperCase() as UploadKind, Number(upload[3]));
    return sendArtifact(deps, req, res, download![1]!, download![2] as ArtifactKind);
  };
}

/**
 * Stores a PUT's bytes and records them on the upload's row, if no other PUT did first. The URL's
 * signature vouches for the upload's kind, size and expiry, so the row is not read beforehand:
 * a PUT to an upload received already is stored, refused and removed again.
 */
async function receiveUpload(
  deps: ArtifactHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  uploadId: string,
  kind: UploadKind,
  maxSize: number,
) {
  if (!UUID.test(uploadId)) return refuse(req, res, 404, 'NOT_FOUND', 'Upload not found');
  const tooLarge = `This upload was declared as ${maxSize} bytes`;
  if (Number(req.headers['content-length']) > maxSize) return refuse(req, res, 413, 'PAYLOAD_TOO_LARGE', tooLarge);

  // Each attempt writes its own key, recorded on the row only if it wins the guarded update below:
  // two concurrent PUTs of one URL must not overwrite, or delete, each other's bytes.
  const key = `${uploadStorageKey(uploadId)}-${randomBytes(6).toString('hex')}`;
  const body = new MeteredBody(maxSize);
  // pipe, not pipeline: pipeline would destroy the request, and with it the socket the 413 answer
  // needs; pipe only unpipes when the meter fails. It does not forward the request's errors, though,
  // so a client that goes away fails the meter here.
  req.pipe(body);
  finished(req, (error) => error && body.destroy(error));
  // The bytes can pass the limit before put has attached to body; its error still reaches us, as
  // put's rejection, but must not crash the process as an unhandled 'error' event meanwhile.
  body.on('error', () => {});
  try {
    if (kind === 'CERTS') {
      // Certificates are capped at 10 MB by config: encrypted whole, never streamed to storage in clear.
      await deps.storage.put(key, deps.certCipher.encrypt(await readAll(body)));
    } else if (Number(req.headers['content-length']) <= SMALL_BODY_BYTES) {
      // Read whole and written at once: a file write stream costs a small body more than its bytes.
      await deps.storage.put(key, await readAll(body));
    } else {
      await deps.storage.put(key, body);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return refuse(req, res, 413, 'PAYLOAD_TOO_LARGE', tooLarge);
    if (!req.complete && req.destroyed) {
      deps.log.info({ uploadId }, 'upload abandoned by the client');
      return;
    }
    deps.log.error({ err: error, uploadId }, 'storing an upload failed');
    return refuse(req, res, 500, 'INTERNAL', `Internal error (request ${currentRequestId()})`);
  }

  const size = body.bytes;
  const sha256 = body.sha256();
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

  let stored: Readable;
  try {
    stored = await deps.storage.get(artifact.key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return refuse(req, res, 404, 'NOT_FOUND', `The ${kind} artifact is gone`);
    throw error;
  }
  const checksum = artifact.sha256;
  const headers = (length: number) => ({
    'content-type': 'application/octet-stream',
    'content-length': String(length),
    'x-checksum-sha256': checksum,
    // Signed URLs are bearer secrets and certificates are secret: no cache keeps a copy.
    'cache-control': 'private, no-store',
  });

  if (kind === 'certs') {
    const plain = deps.certCipher.decrypt(await readAll(stored));
    res.writeHead(200, headers(plain.length));
    res.end(plain);
    return;
  }
  const size = Number(artifact.size);
  res.writeHead(200, headers(size));
  try {
    await pipeline(stored, new ExactLength(size), res);
  } catch (error) {
    // The headers are out: pipeline has destroyed the response, which the client sees as cut short.
    deps.log.warn({ err: error, buildId, kind }, 'artifact download ended early');
  }
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

class PayloadTooLargeError extends Error {}

/** Passes an upload's bytes through, counting and hashing them; fails the moment they pass maxSize. */
class MeteredBody extends Transform {
  bytes = 0;
  readonly #hash = createHash('sha256');
  readonly #maxSize: number;

  constructor(maxSize: number) {
    super();
    this.#maxSize = maxSize;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxSize) return callback(new PayloadTooLargeError());
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  sha256(): string {
    return this.#hash.digest('hex');
  }
}

/**
 * Fails a download whose stored object is not the recorded size: without it, a short object would
 * leave the client waiting on a keep-alive connection for bytes that never come.
 */
class ExactLength extends Transform {
  #remaining: number;

  constructor(length: number) {
    super();
    this.#remaining = length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.#remaining -= chunk.length;
    callback(this.#remaining < 0 ? new Error('stored object is longer than recorded') : null, chunk);
  }

  override _flush(callback: TransformCallback) {
    callback(this.#remaining === 0 ? null : new Error('stored object is shorter than recorded'));
  }
}

/** Only for certificate archives, which config caps at 10 MB, and small bodies. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
