import { getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { actorOf, type Principal } from '../auth/principal.ts';
import { AppError } from '../errors.ts';

/** Buckets kept before full ones (callers idle long enough to have refilled) are dropped. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per caller: `burst` mutations at once, refilled at `perSecond`. In memory,
 * per server process (docs/architecture.md: rate limits on mutations), so N servers allow N times the rate.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {}

  /** Takes `count` tokens (at most a burst's) from `caller`'s bucket; the seconds to wait when it has too few. */
  take(caller: string, count: number, now = performance.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const needed = Math.min(count, this.burst);
    const bucket = this.#refilled(caller, now);
    if (bucket.tokens >= needed) {
      bucket.tokens -= needed;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((needed - bucket.tokens) / this.perSecond) };
  }

  #refilled(caller: string, now: number): Bucket {
    let bucket = this.#buckets.get(caller);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#dropFull(now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(caller, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    return bucket;
  }

  #dropFull(now: number): void {
    for (const [caller, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.#buckets.delete(caller);
    }
  }
}

/**
 * Refuses a mutation operation with RATE_LIMITED when its caller has spent its bucket: each root
 * field takes one token. Runs before execution, so a refused operation changes nothing; over
 * HTTP it is answered with 429 and Retry-After. Queries and subscriptions are not limited.
 */
export function useMutationRateLimit(buckets: TokenBuckets): Plugin<{ principal?: Principal }> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const principal = args.contextValue.principal;
      // Anonymous callers are refused by the schema's auth scopes anyway.
      if (!principal || principal.kind === 'anonymous') return;
      const caller = actorOf(principal);
      const fields = operation.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD).length;
      const taken = buckets.take(caller, Math.max(1, fields));
      if (taken.ok) return;
      const retryAfter = String(taken.retryAfterSeconds);
      setResultAndStopExecution({
        errors: [
          new AppError('RATE_LIMITED', `Too many mutations: at most ${buckets.perSecond} a second; retry in ${retryAfter} s`, {
            retryAfterSeconds: taken.retryAfterSeconds,
            http: { status: 429, headers: { 'retry-after': retryAfter } },
          }),
        ],
      });
    },
  };
}
