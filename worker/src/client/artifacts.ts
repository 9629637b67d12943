import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConnectionError } from './api.ts';

/** A transfer's running total in bytes, for progress bars. */
export type ProgressListener = (bytesDone: number) => void;

/** A signed artifact URL refused the transfer; `code` is the route's `error.code`. */
export class TransferError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function counting(onProgress: ProgressListener | undefined, hash?: ReturnType<typeof createHash>): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      hash?.update(chunk);
      onProgress?.(done);
      callback(null, chunk);
    },
  });
}

/**
 * PUTs the file at `file` to a signed upload URL with its exact `Content-Length`, streaming it.
 * Resolves with the server's receipt `{ id, size, sha256 }`; rejects with TransferError (the route
 * refused it) or ConnectionError.
 */
export async function uploadFile(
  url: string,
  file: string,
  onProgress?: ProgressListener,
): Promise<{ id: string; size: number; sha256: string }> {
  const { size } = await stat(file);
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: 'PUT', headers: { 'content-length': size, 'content-type': 'application/octet-stream' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new ConnectionError(`The upload's answer broke off: ${error.message}`)));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: { id?: string; size?: number; sha256?: string; error?: { code?: string; message?: string } } = {};
          try {
            body = JSON.parse(text);
          } catch {
            // Not ours (a proxy's page): reported by status below.
          }
          if (response.statusCode === 200 && body.id) return resolve(body as { id: string; size: number; sha256: string });
          reject(
            new TransferError(
              response.statusCode ?? 0,
              body.error?.code ?? 'UNKNOWN',
              body.error?.message ?? `HTTP ${response.statusCode}`,
            ),
          );
        });
      },
    );
    request.on('error', (error) => reject(new ConnectionError(`Upload failed: ${error.message}`)));
    pipeline(createReadStream(file), counting(onProgress), request).catch((error: Error) =>
      reject(new ConnectionError(`Upload failed: ${error.message}`)),
    );
  });
}

/**
 * GETs a signed download URL into `file` (created or replaced), streaming it, and checks its
 * sha256 against `expectedSha256`, else against the server's `x-checksum-sha256` header (the
 * digest of the bytes as uploaded). Resolves with its size and sha256 (hex); rejects with
 * TransferError (refused, or a checksum mismatch: code CHECKSUM_MISMATCH, and the file is removed)
 * or ConnectionError.
 */
export async function downloadFile(
  url: string,
  file: string,
  options: { expectedSha256?: string; onProgress?: ProgressListener } = {},
): Promise<{ size: number; sha256: string }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ConnectionError(`Download failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new TransferError(response.status, body.error?.code ?? 'UNKNOWN', body.error?.message ?? `HTTP ${response.status}`);
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      response.body,
      counting((done) => {
        size = done;
        options.onProgress?.(done);
      }, hash),
      createWriteStream(file),
    );
  } catch (error) {
    await rm(file, { force: true });
    throw new ConnectionError(`Download failed: ${(error as Error).message}`);
  }
  const sha256 = hash.digest('hex');
  const expected = options.expectedSha256 ?? response.headers.get('x-checksum-sha256');
  if (expected && sha256 !== expected.toLowerCase()) {
    await rm(file, { force: true });
    throw new TransferError(0, 'CHECKSUM_MISMATCH', `The download's sha256 is ${sha256}, expected ${expected}`);
  }
  return { size, sha256 };
}
