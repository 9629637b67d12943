import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs, ConnectionError, type GraphqlClient } from './api.ts';

/** A transfer's running total in bytes, for progress bars. */
export type ProgressListener = (bytesDone: number) => void;

/**
 * An artifact URL refused the transfer. `code` is our route's `error.code`, S3's `<Code>`
 * (e.g. BadDigest, AccessDenied), CHECKSUM_MISMATCH for a download that did not hash to what was
 * expected, or UNKNOWN when the answer said nothing readable.
 */
export class TransferError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A header an upload PUT must carry exactly (`UploadTicket.headers`). */
export interface HttpHeader {
  name: string;
  value: string;
}

/** createUpload's answer as UPLOAD_TICKET_FIELDS selects it (the S3 upload contract). */
export interface UploadTicket {
  id: string;
  /** Where to PUT the whole body; null when the upload is multipart (`partCount` > 0). */
  url: string | null;
  headers: HttpHeader[];
  /** Bytes per part (the last one may be shorter); null for a single PUT. */
  partSize: number | null;
  /** 0 for a single PUT. */
  partCount: number;
}

/** The selection of UploadTicket that makes an UploadTicket. */
const UPLOAD_TICKET_FIELDS = 'id url headers { name value } partSize partCount';

/** What the server stored: `completeUpload`'s answer. */
export interface UploadReceipt {
  id: string;
  /** Bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: string;
}

interface UploadPartTicket {
  number: number;
  url: string;
  headers: HttpHeader[];
}

/** Parts in flight at once: enough to keep a link busy while the next part is hashed. */
const PART_CONCURRENCY = 2;
/** Tries per PUT (a single body or one part) when the connection fails or the store answers 5xx. */
const PUT_ATTEMPTS = 3;

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
 * The lowercase hex SHA-256 of `file`, or of its bytes `[start, end)` when a range is given,
 * read as a stream (files of many GiB are never held in memory). `onProgress` gets the bytes
 * hashed so far. Rejects with the file system's error.
 */
export async function sha256OfFile(file: string, range?: { start: number; end: number }, onProgress?: ProgressListener): Promise<string> {
  const hash = createHash('sha256');
  // createReadStream's `end` is inclusive; an empty range reads nothing.
  if (range && range.end <= range.start) return hash.digest('hex');
  const stream = createReadStream(file, range ? { start: range.start, end: range.end - 1 } : {});
  let done = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    onProgress?.(done);
  }
  return hash.digest('hex');
}

/**
 * The refusal in an artifact URL's error answer: our routes answer JSON
 * `{ error: { code, message } }`, S3 answers XML `<Error><Code>…</Code><Message>…</Message></Error>`;
 * anything else (a proxy's page) is reported by its status.
 */
function refusal(status: number, body: string): TransferError {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string')
      return new TransferError(
        status,
        parsed.error.code,
        typeof parsed.error.message === 'string' ? parsed.error.message : `HTTP ${status}`,
      );
  } catch {
    // Not JSON: S3's XML, or someone else's answer.
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return new TransferError(status, code ?? 'UNKNOWN', message ? `${message} (HTTP ${status})` : `HTTP ${status}`);
}

/**
 * PUTs bytes `[start, end)` of `file` to `url` with `headers` and the exact Content-Length,
 * streaming them. Resolves with the answer's ETag (S3 names a stored part by it; may be empty);
 * rejects with TransferError (a non-2xx answer) or ConnectionError.
 */
function putRange(
  url: string,
  headers: HttpHeader[],
  file: string,
  range: { start: number; end: number },
  onProgress: ProgressListener,
): Promise<string> {
  const transport = url.startsWith('https:') ? https : http;
  const requestHeaders: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
  for (const { name, value } of headers) requestHeaders[name.toLowerCase()] = value;
  requestHeaders['content-length'] = range.end - range.start;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: 'PUT', headers: requestHeaders }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(new ConnectionError(`The upload's answer broke off: ${error.message}`)));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(String(response.headers.etag ?? ''));
        reject(refusal(status, Buffer.concat(chunks).toString('utf8')));
      });
    });
    request.on('error', (error) => reject(new ConnectionError(`Upload failed: ${error.message}`)));
    const body = range.end > range.start ? createReadStream(file, { start: range.start, end: range.end - 1 }) : [];
    pipeline(body, counting(onProgress), request).catch((error: Error) => reject(new ConnectionError(`Upload failed: ${error.message}`)));
  });
}

/** Whether a failed PUT may succeed when repeated: the connection broke or the store had a moment (5xx). */
function worthRepeating(error: unknown): boolean {
  return error instanceof ConnectionError || (error instanceof TransferError && error.status >= 500);
}

/**
 * Sends `file` as createUpload's `ticket` says (the S3 upload contract): one PUT of the whole body
 * to `ticket.url` with the ticket's headers, or, when `ticket.partCount` > 0, each part hashed,
 * given a URL by createUploadParts and PUT (PART_CONCURRENCY at a time, each repeated up to
 * PUT_ATTEMPTS times with a fresh URL when the connection fails or the store answers 5xx), then
 * completeUpload with the parts' ETags. A single PUT is confirmed with completeUpload too, so
 * both storages answer the same receipt. Reads the file as streams only. `onProgress` gets the
 * bytes sent so far (all parts together). Rejects with TransferError (a URL refused the bytes:
 * our JSON code or S3's XML code), ApiError (a mutation was refused) or ConnectionError.
 */
export async function uploadFile(
  api: GraphqlClient,
  ticket: UploadTicket,
  file: string,
  onProgress?: ProgressListener,
): Promise<UploadReceipt> {
  const { size } = await stat(file);
  const sentPerPart = new Map<number, number>();
  const report = (part: number, sent: number) => {
    sentPerPart.set(part, sent);
    let total = 0;
    for (const bytes of sentPerPart.values()) total += bytes;
    onProgress?.(total);
  };

  if (ticket.partCount === 0) {
    if (!ticket.url) throw new TransferError(0, 'UNKNOWN', 'The upload ticket has neither a URL nor parts');
    const url = ticket.url;
    try {
      await repeated(() => putRange(url, ticket.headers, file, { start: 0, end: size }, (sent) => report(0, sent)));
    } catch (error) {
      // A PUT sent again because its answer was lost finds the upload received: the server kept
      // those bytes only if they matched the declared sha256, so completeUpload's receipt stands.
      if (!(error instanceof TransferError && error.code === 'CONFLICT')) throw error;
    }
    return completeUpload(api, ticket.id);
  }

  const partSize = ticket.partSize;
  if (!partSize) throw new TransferError(0, 'UNKNOWN', 'The multipart upload ticket has no part size');
  const etags = new Map<number, { etag: string; sha256: string }>();
  let nextPart = 1;
  let failure: { error: unknown } | undefined;
  const sendParts = async () => {
    while (!failure && nextPart <= ticket.partCount) {
      const number = nextPart++;
      const range = { start: (number - 1) * partSize, end: Math.min(number * partSize, size) };
      try {
        const sha256 = await sha256OfFile(file, range);
        // Each try asks for the part's URL right before its PUT, so a URL never expires while
        // earlier parts are sent, and a repeat does not reuse a URL that may be what failed.
        const etag = await repeated(async () => {
          const partTicket = await createUploadPart(api, ticket.id, number, sha256);
          return putRange(partTicket.url, partTicket.headers, file, range, (sent) => report(number, sent));
        });
        etags.set(number, { etag, sha256 });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, ticket.partCount) }, sendParts));
  if (failure) throw failure.error;
  const parts = [...etags].sort(([a], [b]) => a - b).map(([number, part]) => ({ number, ...part }));
  return completeUpload(api, ticket.id, parts);
}

/** Runs a PUT up to PUT_ATTEMPTS times while it fails in a way worth repeating (with backoff). */
async function repeated<T>(put: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put();
    } catch (error) {
      if (attempt >= PUT_ATTEMPTS || !worthRepeating(error)) throw error;
      await sleep(Math.max(200, backoffMs(attempt)));
    }
  }
}

async function createUploadPart(api: GraphqlClient, uploadId: string, number: number, sha256: string): Promise<UploadPartTicket> {
  const { createUploadParts } = await api.request<{ createUploadParts: UploadPartTicket[] }>(
    `mutation ($uploadId: ID!, $parts: [UploadPartInput!]!) {
      createUploadParts(uploadId: $uploadId, parts: $parts) { number url headers { name value } } }`,
    { uploadId, parts: [{ number, sha256 }] },
  );
  const ticket = createUploadParts.find((part) => part.number === number);
  if (!ticket) throw new TransferError(0, 'UNKNOWN', `createUploadParts gave no URL for part ${number}`);
  return ticket;
}

async function completeUpload(
  api: GraphqlClient,
  uploadId: string,
  parts?: { number: number; etag: string; sha256: string }[],
): Promise<UploadReceipt> {
  const { completeUpload: receipt } = await api.request<{ completeUpload: UploadReceipt }>(
    `mutation ($uploadId: ID!, $parts: [UploadedPartInput!]) {
      completeUpload(uploadId: $uploadId, parts: $parts) { id size sha256 } }`,
    { uploadId, parts },
  );
  return receipt;
}

/**
 * Uploads `file` as a new artifact: reserves the upload with createUpload (`kind`, `filename`,
 * `buildId` for RESULT, the file's size and its `sha256`, lowercase hex, from sha256OfFile) and
 * sends it with uploadFile. `onProgress` gets the bytes sent so far. Resolves with the receipt;
 * rejects as uploadFile does, or with the file system's error.
 */
export async function uploadArtifact(
  api: GraphqlClient,
  input: { kind: 'SOURCE' | 'CERTS' | 'RESULT'; filename: string; buildId?: string },
  file: string,
  sha256: string,
  onProgress?: ProgressListener,
): Promise<UploadReceipt> {
  const { size } = await stat(file);
  const { createUpload } = await api.request<{ createUpload: UploadTicket }>(
    `mutation ($input: CreateUploadInput!) { createUpload(input: $input) { ${UPLOAD_TICKET_FIELDS} } }`,
    { input: { ...input, size, sha256 } },
  );
  return uploadFile(api, createUpload, file, onProgress);
}

/**
 * GETs a download URL (ours, or a presigned S3 GET) into `file` (created or replaced), streaming
 * it, and checks its sha256 against `expectedSha256` (the API's sourceSha256/resultSha256), else
 * against our route's `x-checksum-sha256` header (S3 answers carry none). Resolves with its size
 * and sha256 (hex); rejects with TransferError (refused: our JSON or S3's XML code; or a checksum
 * mismatch: code CHECKSUM_MISMATCH, and the file is removed) or ConnectionError.
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
  if (!response.ok || !response.body) throw refusal(response.status, await response.text().catch(() => ''));
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
