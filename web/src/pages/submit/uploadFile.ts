/** A header an upload PUT must carry exactly (`UploadTicket.headers`). */
export interface HttpHeader {
  name: string;
  value: string;
}

/** createUpload's answer, as the submit form selects it (the S3 upload contract). */
export interface UploadTicket {
  id: string;
  /** Where to PUT the whole body; null when the upload is multipart. */
  url?: string | null;
  headers: HttpHeader[];
  /** Bytes per part (the last may be shorter); null for a single PUT. */
  partSize?: number | null;
  /** 0 for a single PUT. */
  partCount: number;
}

/** What uploadFile needs from the API besides the ticket: the two upload mutations. */
export interface UploadCalls {
  /** createUploadParts for one part: its URL and headers. */
  partUrl(number: number, sha256: string): Promise<{ url: string; headers: HttpHeader[] }>;
  /** completeUpload: without parts for a single PUT, with every part's ETag and sha256 otherwise. */
  complete(parts?: { number: number; etag: string; sha256: string }[]): Promise<void>;
}

/** Bytes read per step while hashing: large enough to be fast, small enough for any memory. */
const HASH_CHUNK_BYTES = 8 * 1024 * 1024;
/** Parts in flight at once (as in the CLI). */
const PART_CONCURRENCY = 2;
/** Tries per PUT when the network fails or the store answers 5xx. */
const PUT_ATTEMPTS = 3;

/** An artifact URL refused the bytes: our route's JSON error or S3's XML error, with its code. */
class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const aborted = () => new DOMException('The upload was stopped', 'AbortError');

/**
 * The lowercase hex SHA-256 of `blob`, read 8 MiB at a time (a file of many GiB is never read
 * whole; Web Crypto has no incremental digest, so hash-wasm's is used, loaded on first use).
 * `onProgress` gets the bytes hashed so far. Rejects with an AbortError when `signal` aborts.
 */
export async function sha256OfBlob(blob: Blob, onProgress?: (hashedBytes: number) => void, signal?: AbortSignal): Promise<string> {
  const { createSHA256 } = await import('hash-wasm');
  const hasher = await createSHA256();
  for (let start = 0; start < blob.size; start += HASH_CHUNK_BYTES) {
    if (signal?.aborted) throw aborted();
    const end = Math.min(start + HASH_CHUNK_BYTES, blob.size);
    hasher.update(new Uint8Array(await blob.slice(start, end).arrayBuffer()));
    onProgress?.(end);
  }
  return hasher.digest('hex');
}

/**
 * Sends `file` as createUpload's `ticket` says: one PUT of the whole file with the ticket's
 * headers, or, when `ticket.partCount` > 0, each part hashed, given a URL (`calls.partUrl`) and
 * PUT, two at a time, then `calls.complete` with their ETags. A PUT that fails on the network or
 * with a 5xx is tried again (up to three times; a part with a fresh URL). `onProgress` gets the
 * bytes sent so far (all parts together) and the total. Resolves once completeUpload accepted it;
 * rejects with UploadRefused (our JSON or S3's XML code and message), an Error for a network
 * failure, what `calls` rejects with, or an AbortError when `signal` aborts.
 */
export async function uploadFile(
  ticket: UploadTicket,
  file: Blob,
  calls: UploadCalls,
  onProgress: (sentBytes: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const sentPerPart = new Map<number, number>();
  const report = (part: number, sent: number) => {
    sentPerPart.set(part, sent);
    let total = 0;
    for (const bytes of sentPerPart.values()) total += bytes;
    onProgress(total, file.size);
  };

  if (ticket.partCount === 0) {
    const url = ticket.url;
    if (!url) throw new Error('The upload ticket has neither a URL nor parts');
    await repeated(() => put(url, ticket.headers, file, (sent) => report(0, sent), signal));
    await calls.complete();
    return;
  }

  const partSize = ticket.partSize;
  if (!partSize) throw new Error('The multipart upload ticket has no part size');
  const parts: { number: number; etag: string; sha256: string }[] = [];
  let nextPart = 1;
  let failure: { error: unknown } | undefined;
  const sendParts = async () => {
    while (!failure && nextPart <= ticket.partCount) {
      const number = nextPart++;
      const body = file.slice((number - 1) * partSize, Math.min(number * partSize, file.size));
      try {
        const sha256 = await sha256OfBlob(body, undefined, signal);
        // A fresh URL for each try: a repeat does not reuse the URL that may be what failed.
        const etag = await repeated(async () => {
          const { url, headers } = await calls.partUrl(number, sha256);
          return put(url, headers, body, (sent) => report(number, sent), signal);
        });
        if (!etag) throw new Error("The store's answer hid the part's ETag: the bucket's CORS rules must expose the ETag header");
        parts.push({ number, etag, sha256 });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, ticket.partCount) }, sendParts));
  if (failure) throw failure.error;
  await calls.complete(parts.sort((a, b) => a.number - b.number));
}

/** Runs a PUT up to PUT_ATTEMPTS times while it fails on the network or with a 5xx. */
async function repeated<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const worthRepeating = !(error instanceof DOMException) && (!(error instanceof UploadRefused) || error.status >= 500);
      if (tries >= PUT_ATTEMPTS || !worthRepeating) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * tries));
    }
  }
}

/**
 * PUTs `body` to `url` with `headers` through XMLHttpRequest (fetch reports no upload progress);
 * the browser sets Content-Length to the body's exact size. Resolves with the answer's ETag
 * (empty when absent or not exposed by CORS); rejects as uploadFile says.
 */
function put(
  url: string,
  headers: HttpHeader[],
  body: Blob,
  onProgress: (sentBytes: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    const named = new Set(headers.map((header) => header.name.toLowerCase()));
    if (!named.has('content-type')) request.setRequestHeader('content-type', 'application/octet-stream');
    for (const { name, value } of headers) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    const stop = () => request.abort();
    signal?.addEventListener('abort', stop, { once: true });
    request.onloadend = () => signal?.removeEventListener('abort', stop);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(body.size);
        resolve(request.getResponseHeader('etag') ?? '');
        return;
      }
      reject(refusal(request.status, request.responseText));
    };
    request.onerror = () => reject(new Error('The upload failed: the server could not be reached'));
    request.onabort = () => reject(aborted());
    request.send(body);
  });
}

/** The refusal in an upload answer: our JSON `{ error: { code, message } }` or S3's XML `<Error>`. */
function refusal(status: number, body: string): UploadRefused {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.message === 'string')
      return new UploadRefused(status, typeof parsed.error.code === 'string' ? parsed.error.code : 'UNKNOWN', parsed.error.message);
  } catch {
    // Not JSON: S3's XML, or someone else's page.
  }
  const xml = new DOMParser().parseFromString(body, 'application/xml');
  const code = xml.querySelector('Error > Code')?.textContent;
  const message = xml.querySelector('Error > Message')?.textContent;
  if (code && message) return new UploadRefused(status, code, `${message} (${code})`);
  return new UploadRefused(status, 'UNKNOWN', `The upload was refused (HTTP ${status})`);
}
