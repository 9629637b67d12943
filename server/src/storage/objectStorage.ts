import type { Readable } from 'node:stream';

/**
 * Where artifact bytes live: local disk by default, S3-compatible storage where several servers
 * share one bucket. Keys are always made by the server (`uploads/<2 hex>/<uuid>…`), never by clients.
 */
export interface ObjectStorage {
  /**
   * Stores body under a new key (streamed, or a small one already in memory); resolves once stored.
   * A key is written once: a put to one that exists fails. On any error (including the body stream
   * erroring) nothing is left under key.
   */
  put(key: string, body: Readable | Buffer): Promise<void>;
  /** Throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Readable>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored object under ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}
