import type { Sql, SqlClient, SqlPool } from './sql.ts';

/** Statements one batch takes at most: bounds how long one transaction holds its rows. */
const MAX_BATCH = 32;

interface Queued {
  statement: Sql;
  wants: 'rows' | 'count';
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit for the single-statement changes of the hot paths (submit, heartbeat, completion). PostgreSQL holds a global lock from a notifying transaction's
 * commit until its WAL flush is done, so on a durable database notifying commits run one at a
 * time; sharing commits is what lets many workers report at once.
 *
 * One batch runs at a time: a statement that arrives while none runs goes alone, at once; those
 * that arrive meanwhile run next, one after another in one transaction, and are answered after
 * its commit. A batch that fails (a deadlock, a timeout, a unique violation) rolled back as a
 * whole, and each of its statements then runs again alone, so every error is its own statement's.
 * Each statement is still all-or-nothing, and sees the ones before it as a serial order would.
 */
export class GroupCommit implements SqlClient {
  readonly #pool: SqlPool;
  readonly #queued: Queued[] = [];
  #running = false;

  constructor(pool: SqlPool) {
    this.#pool = pool;
  }

  query<Row>(statement: Sql): Promise<Row[]> {
    return this.#enqueue(statement, 'rows') as Promise<Row[]>;
  }

  execute(statement: Sql): Promise<number> {
    return this.#enqueue(statement, 'count') as Promise<number>;
  }

  #enqueue(statement: Sql, wants: Queued['wants']): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ statement, wants, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#running || this.#queued.length === 0) return;
    this.#running = true;
    const batch = this.#queued.splice(0, MAX_BATCH);
    void this.#run(batch).finally(() => {
      this.#running = false;
      this.#next();
    });
  }

  async #run(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.#pool.transaction(async (tx) => {
          const answers: unknown[] = [];
          for (const item of batch) answers.push(await runOn(tx, item));
          return answers;
        });
        batch.forEach((item, index) => item.resolve(results[index]));
        return;
      } catch {
        // Rolled back as a whole: each statement runs again alone, below, for its own answer.
      }
    }
    await Promise.all(
      batch.map(async (item) => {
        try {
          item.resolve(await runOn(this.#pool, item));
        } catch (error) {
          item.reject(error);
        }
      }),
    );
  }
}

function runOn(client: SqlClient, item: Queued): Promise<unknown> {
  return item.wants === 'rows' ? client.query(item.statement) : client.execute(item.statement);
}
