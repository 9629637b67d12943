import type { Readable } from 'node:stream';

/**
 * Where artifact bytes live: local disk by default, S3-compatible storage where several servers
 * share one bucket. Keys are always made by the server (`uploads/<2 hex>/<uuid>…`), never by clients.
 */
export interface ObjectStorage {
  /**
   * Stores body under a new key (streamed, or a small one already in memory); resolves once stored.
   * Callers make a new key for every put, so no put replaces another's bytes (local disk also
   * refuses a key that exists). On any error (including the body stream erroring) nothing is left
   * under key.
   */
  put(key: string, body: Readable | Buffer): Promise<void>;
  /** Throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Readable>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /**
   * Present when clients move bytes straight to and from the storage (S3: presigned URLs); absent
   * for local disk, whose bytes go through the server's own signed `/artifacts` routes.
   */
  readonly direct?: DirectTransfers;
}

/** A request a client makes itself: the URL, and headers it must send exactly as given. */
export interface PresignedRequest {
  url: string;
  headers: { name: string; value: string }[];
}

/**
 * Uploads and downloads that bypass the server. Sizes are bytes, checksums lowercase hex SHA-256,
 * lifetimes seconds. The storage enforces what each URL declares (its `Content-Length` and checksum
 * are signed), so a body of another size or content is refused by the storage itself.
 */
export interface DirectTransfers {
  /** Uploads larger than this are multipart, in parts of this size (the last one shorter). */
  readonly partBytes: number;
  presignPut(key: string, size: number, sha256: string, ttlSeconds: number): Promise<PresignedRequest>;
  /** Starts a multipart upload; returns its id. */
  startMultipart(key: string): Promise<string>;
  presignPart(
    key: string,
    multipartId: string,
    part: { number: number; size: number; sha256: string },
    ttlSeconds: number,
  ): Promise<PresignedRequest>;
  /**
   * Joins the uploaded parts into the object. Throws DirectUploadError when the storage refuses the
   * list (a part missing, an ETag or checksum that does not match what was stored).
   */
  completeMultipart(key: string, multipartId: string, parts: { number: number; etag: string; sha256: string }[]): Promise<void>;
  /** Idempotent: an upload completed or aborted already is left as it is. */
  abortMultipart(key: string, multipartId: string): Promise<void>;
  /** The stored object's size in bytes, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** A GET URL answered as an attachment named `filename` (when known) that no cache keeps. */
  presignGet(key: string, filename: string | null, ttlSeconds: number): Promise<string>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored object under ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The storage refused to assemble a direct upload; the message says why, for the client. */
export class DirectUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectUploadError';
  }
}
