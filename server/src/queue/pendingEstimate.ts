import { sql, type SqlClient } from '../db/sql.ts';

/** How old the count may be. */
const RECOUNT_MS = 1000;
/** Submits count exactly once the estimate reaches this share of the bound. */
const NEAR_BOUND = 0.9;

/** The pending builds, counted up to `limit` (a statement, or a CTE's body). */
export const countPending = (limit: number) =>
  sql`SELECT count(*)::int AS count FROM (SELECT 1 FROM "Build" WHERE status = 'PENDING' LIMIT ${limit}::int) bounded`;

/**
 * The pending queue's size as this process knows it. A submit must not pass the bound
 * (FREE_AGENT_MAX_PENDING_BUILDS), and counting the pending builds costs it O(queue), inside the
 * group-commit batch every hot write waits on (docs/performance.md, "Design figures"). So the
 * process counts at most once a second, adds the builds it queued since, and a submit counts
 * exactly only once that estimate is near the bound. Far from it, the bound can be passed by at
 * most what other server processes queued within the last second.
 */
export class PendingEstimate {
  #estimate = 0;
  #countedAt = Number.NEGATIVE_INFINITY;
  #counting: Promise<void> | undefined;

  constructor(
    private readonly db: SqlClient,
    readonly bound: number,
  ) {}

  /** Up to how many pending builds the next submit must count: the bound when near it, else none. */
  async countUpTo(): Promise<number> {
    if (performance.now() - this.#countedAt > RECOUNT_MS) await (this.#counting ??= this.#count());
    return this.#estimate >= this.bound * NEAR_BOUND ? this.bound : 0;
  }

  /** A submit of this process queued a build. */
  queued(): void {
    this.#estimate += 1;
  }

  async #count(): Promise<void> {
    try {
      const [row] = await this.db.query<{ count: number }>(countPending(this.bound));
      this.#estimate = row!.count;
      this.#countedAt = performance.now();
    } finally {
      this.#counting = undefined;
    }
  }
}
