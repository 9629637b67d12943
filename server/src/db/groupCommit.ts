import type { Logger } from 'pino';
import { Batcher } from './batcher.ts';
import { isConnectionLoss } from './connectionLoss.ts';
import { groupCommitFallbacks } from '../metrics/metrics.ts';
import { type Sql, type SqlClient, SqlPool } from './sql.ts';

/** Statements one batch takes at most: bounds how long one transaction holds its rows. */
const MAX_BATCH = 32;
/**
 * Turns: batches unanswered at once. The next batch is on the wire while PostgreSQL runs the one
 * before, so it does not wait for this event loop in between (docs/performance.md, "Group commit's
 * second turn").
 */
const PIPELINE_DEPTH = 2;

interface Queued {
  statement: Sql;
  wants: 'rows' | 'count';
}

/**
 * Group commit for the single-statement changes of the hot paths (submits, uploads, heartbeats, log
 * batches, completions).
 * PostgreSQL holds a global lock from a notifying transaction's commit until its WAL flush is
 * done, so on a durable database notifying commits run one at a time; sharing commits is what
 * lets many workers report at once.
 *
 * A statement that finds a free turn (PIPELINE_DEPTH of them) goes at once, alone, on the pool;
 * those that arrive while every turn is taken go next, one after another in one transaction, and
 * are answered after its commit. Batches go out in order on one pipelined connection of their
 * own, where PostgreSQL runs them one after another, so they never wait on each other's rows; a
 * batch is one pipeline because a round trip per statement would make it as slow as the event
 * loop is busy. A batch that fails (a deadlock, a timeout, a unique violation) rolled back as a
 * whole, and each of its statements then runs again alone (logged and counted), so every error is
 * its own statement's; one whose connection was lost is not run again (its COMMIT may have taken
 * effect), and each of its statements fails with the loss.
 * Each statement is still all-or-nothing, and sees the ones answered before it was given. Hence
 * the contract of a statement given here (Db.groupCommitted in db/database.ts): it is
 * self-contained, depends on no statement that has not been answered yet (its batch's, or one run
 * again alone after a later batch), and is safe to run again alone.
 */
export class GroupCommit implements SqlClient {
  readonly #batcher: Batcher<Queued, unknown>;
  readonly #pipeline: SqlPool;

  /** `pool` runs statements alone; batches go through a pipelined connection to `url`. */
  constructor(pool: SqlPool, url: string, settings: { statementTimeoutMs: number; log?: Logger }) {
    this.#pipeline = new SqlPool(url, { size: 1, statementTimeoutMs: settings.statementTimeoutMs, pipeline: true, log: settings.log });
    this.#batcher = new Batcher({
      maxInFlight: PIPELINE_DEPTH,
      maxBatch: MAX_BATCH,
      runBatch: (batch) => runGrouped(pool, this.#pipeline, batch, settings.log),
    });
  }

  close(): Promise<void> {
    return this.#pipeline.close();
  }

  query<Row>(statement: Sql): Promise<Row[]> {
    return this.#batcher.submit({ statement, wants: 'rows' }) as Promise<Row[]>;
  }

  execute(statement: Sql): Promise<number> {
    return this.#batcher.submit({ statement, wants: 'count' }) as Promise<number>;
  }

  /** A statement here is answered after its batch committed. */
  afterCommit(callback: () => void): void {
    callback();
  }
}

/**
 * The statements in one transaction; if it fails, each again alone, for its own answer. A fallback
 * is logged to `log` and counted (free_agent_group_commit_fallbacks_total): batches that often
 * fail cost every statement twice, and say a statement breaks the contract in db/database.ts.
 */
async function runGrouped(pool: SqlPool, pipeline: SqlPool, batch: Queued[], log: Logger | undefined): Promise<unknown[]> {
  if (batch.length > 1) {
    try {
      const results = await pipeline.transactionAtOnce(batch.map((item) => item.statement));
      return results.map((result, index) => (batch[index]!.wants === 'rows' ? result.rows : (result.rowCount ?? 0)));
    } catch (error) {
      // A lost connection may have lost the answer to a COMMIT that took effect: running the
      // statements again could apply them twice, so each fails with the loss instead.
      if (isConnectionLoss(error)) throw error;
      // Rolled back as a whole: each statement runs again alone, below.
      groupCommitFallbacks.inc();
      log?.warn({ err: error, batchSize: batch.length }, 'a group-committed batch failed; its statements run again one by one');
    }
  }
  return Promise.all(
    batch.map((item) => runOn(pool, item).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))),
  );
}

function runOn(client: SqlClient, item: Queued): Promise<unknown> {
  return item.wants === 'rows' ? client.query(item.statement) : client.execute(item.statement);
}
