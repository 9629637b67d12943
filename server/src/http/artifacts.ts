import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Readable, finished } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { isConnectionLoss } from '../db/connectionLoss.ts';
import type { Db } from '../db/database.ts';
import type { UploadKind } from '../generated/prisma/enums.ts';
import { type DeclaredUpload, storeUpload, wrongLength } from '../queue/storeUpload.ts';
import { uploadedFilename } from '../queue/uploads.ts';
import type { ErrorCode } from '../errors.ts';
import type { CertCipher } from '../storage/certEncryption.ts';
import { ExactLength, readAll } from '../storage/bodyStreams.ts';
import { ObjectNotFoundError, type ObjectStorage } from '../storage/objectStorage.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import { isId } from '../queue/validate.ts';
import { currentRequestId } from './requestContext.ts';
import { attachmentDisposition, sendError, sendJson } from './respond.ts';

export interface ArtifactHandlerDeps {
  storage: ObjectStorage;
  /** Reads the build and its upload's name; an upload's receipt is group-committed. */
  db: Db;
  signer: UrlSigner;
  certCipher: CertCipher;
  log: Logger;
}

type ArtifactKind = 'source' | 'certs' | 'result';

const UPLOAD_PATH = /^\/artifacts\/uploads\/([^/]+)\/(source|certs|result)\/([0-9]{1,15})(?:\/([0-9a-f]{64}))?$/;
const DOWNLOAD_PATH = /^\/artifacts\/builds\/([^/]+)\/(source|certs|result)$/;
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
    if (upload)
      return receiveUpload(deps, req, res, {
        uploadId: upload[1]!,
        kind: upload[2]!.toUpperCase() as UploadKind,
        size: Number(upload[3]),
        sha256: upload[4] ?? null,
      });
    return sendArtifact(deps, req, res, download![1]!, download![2] as ArtifactKind);
  };
}

/**
 * Answers a PUT of a declared upload (storeUpload keeps it only if it is exactly what the signed
 * URL declares). A Content-Length that is not the declared size is refused before any byte is read.
 */
async function receiveUpload(deps: ArtifactHandlerDeps, req: IncomingMessage, res: ServerResponse, upload: DeclaredUpload) {
  // Ids in signed paths are the server's own; anything else cannot be a row.
  if (!isId(upload.uploadId)) return refuse(req, res, 404, 'NOT_FOUND', 'Upload not found');
  const contentLength = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const outcome =
    contentLength !== undefined && contentLength !== upload.size
      ? wrongLength(upload.size, contentLength)
      : await storeUpload({ ...deps, writes: deps.db.groupCommitted }, upload, req).catch((error: unknown) => {
          // A lost database is the caller's to retry: the server's handler answers UNAVAILABLE.
          if (isConnectionLoss(error)) throw error;
          deps.log.error({ err: error, uploadId: upload.uploadId }, 'storing an upload failed');
          return { refused: { status: 500, code: 'INTERNAL' as const, message: `Internal error (request ${currentRequestId()})` } };
        });
  if ('abandoned' in outcome) return deps.log.info({ uploadId: upload.uploadId }, 'upload abandoned by the client');
  if ('refused' in outcome) return refuse(req, res, outcome.refused.status, outcome.refused.code, outcome.refused.message);
  sendJson(res, 200, outcome.stored);
}

/**
 * Serves a build's artifact: GET streams its bytes, HEAD answers the same status and headers
 * (length, type, checksum, the uploaded file's name) without them. The stored object is opened for
 * HEAD too, so a missing one is the same 404 either way.
 */
async function sendArtifact(deps: ArtifactHandlerDeps, req: IncomingMessage, res: ServerResponse, buildId: string, kind: ArtifactKind) {
  const build = isId(buildId) ? await deps.db.reads.build.findUnique({ where: { id: buildId } }) : null;
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
    'content-disposition': attachmentDisposition(await uploadedFilename(deps.db.reads, artifact.key)),
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
