import type { SqlPool } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import { claimDuration } from '../metrics/metrics.ts';
import { claimBuilds, type ClaimRequest } from './claim.ts';

/** Claim statements one process runs at once; claims arriving meanwhile wait and go together. */
const MAX_IN_FLIGHT = 2;
/** Claims per statement: bounds how long one statement holds its workers' rows. */
const MAX_BATCH = 25;

interface Waiting {
  request: ClaimRequest;
  resolve(build: Build | null): void;
  reject(error: Error): void;
  endTimer(): void;
}

/**
 * Group commit for claims. A claim that finds a free turn runs at once, alone; claims that arrive
 * while every turn is taken wait and then run together, in one statement (see claimBuilds). Under
 * load, that is one round trip and one commit, one turn at PostgreSQL's NOTIFY lock, for many claims.
 */
export class ClaimBatcher {
  readonly #pool: SqlPool;
  readonly #waiting: Waiting[] = [];
  #inFlight = 0;

  constructor(pool: SqlPool) {
    this.#pool = pool;
  }

  /** The build the worker got, or null; rejects with the claim's own error. */
  claim(request: ClaimRequest): Promise<Build | null> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject, endTimer: claimDuration.startTimer() });
      this.#startBatches();
    });
  }

  #startBatches(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      this.#inFlight += 1;
      void this.#run(batch).finally(() => {
        this.#inFlight -= 1;
        this.#startBatches();
      });
    }
  }

  async #run(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await claimBuilds(
        this.#pool,
        batch.map((waiting) => waiting.request),
      );
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index]!;
        waiting.endTimer();
        if (outcome instanceof Error) waiting.reject(outcome);
        else waiting.resolve(outcome);
      });
    } catch (error) {
      // The statement failed as a whole (a lost connection, a timeout): so does every claim in it.
      for (const waiting of batch) {
        waiting.endTimer();
        waiting.reject(error as Error);
      }
    }
  }
}
