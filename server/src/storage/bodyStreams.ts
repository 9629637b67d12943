import type { Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';

// Stream plumbing for artifact bytes: a length meter (uploads against their declared size,
// downloads against the recorded one) and reading a small body whole.

/** A body, or a stored object, that is not the length it should be. */
export class WrongLengthError extends Error {
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
export class ExactLength extends Transform {
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
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
