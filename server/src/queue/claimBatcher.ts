import { Batcher } from '../db/batcher.ts';
import type { SqlPool } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import { claimDuration } from '../metrics/metrics.ts';
import { claimBuilds, type ClaimRequest } from './claim.ts';

/**
 * Group commit for claims. A claim that finds a free turn (two per process) runs at once, alone;
 * claims that arrive meanwhile run together, in one statement (see claimBuilds), at most 25 so one
 * statement does not hold its workers' rows for long. Under load, that is one round trip and one
 * commit, one turn at PostgreSQL's NOTIFY lock, for many claims.
 */
export class ClaimBatcher {
  readonly #batcher: Batcher<ClaimRequest, Build | null>;

  constructor(pool: SqlPool) {
    this.#batcher = new Batcher({ maxInFlight: 2, maxBatch: 25, runBatch: (requests) => claimBuilds(pool, requests) });
  }

  /** The build the worker got, or null; rejects with the claim's own error. */
  async claim(request: ClaimRequest): Promise<Build | null> {
    const endTimer = claimDuration.startTimer();
    try {
      return await this.#batcher.submit(request);
    } finally {
      endTimer();
    }
  }
}
