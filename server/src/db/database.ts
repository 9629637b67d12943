import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { openReadClient, type Database } from './client.ts';
import { GroupCommit } from './groupCommit.ts';
import { SqlPool } from './sql.ts';

/**
 * The one way into PostgreSQL: opened by openServices, carried as `services.db` (resolvers reach it
 * as `ctx.services.db`, HTTP routes and background loops are handed it). Nothing here is
 * module-level, so two apps can run in one process. Pick the member by what the work is; each
 * states what its callers must meet.
 */
export interface Db {
  /**
   * Prisma, for reads shaped by a GraphQL selection (the Pothos prisma plugin's client) and for
   * cold paths (keys, webhooks' settings). Named for its main use: the hot paths' changes go
   * through `sql` or `groupCommitted`, because a Prisma interactive transaction costs several times
   * the Node CPU of the same statements on `pg` (docs/performance.md, "Design figures").
   */
  reads: Database;
  /**
   * Our SQL (`sql` tag, db/sql.ts) on the `pg` pool Prisma shares: `query`/`execute` run a
   * statement alone (it commits when it answers), `transaction(work)` runs several that must commit
   * together. For multi-statement work, statements whose effect must not wait for a batch, and
   * reads written in SQL. Callers meet nothing special: this is PostgreSQL as it comes.
   */
  sql: SqlPool;
  /**
   * Group commit (db/groupCommit.ts), the field's name for commits that share one WAL flush:
   * single statements of the hot paths that arrive together share one transaction. A statement
   * here must be self-contained (one statement, its own guards and NOTIFY in it), must not depend
   * on a statement that has not been answered yet (another of its batch, say), and must be safe
   * to run again alone: a batch that fails is rolled back and each statement re-run by itself,
   * possibly after a batch sent later.
   */
  groupCommitted: GroupCommit;
  /** Closes group commit's connection, Prisma and the pool, in that order. */
  close(): Promise<void>;
}

/**
 * Opens the pool to `url` (lost connections are logged to `log` and replaced, see db/sql.ts),
 * Prisma on it, and group commit beside it; connections open on first use, so this does not throw
 * for an unreachable database.
 */
export function openDb(url: string, settings: Pick<Config, 'dbPoolSize' | 'statementTimeoutMs'>, log: Logger): Db {
  const sql = new SqlPool(url, { size: settings.dbPoolSize, statementTimeoutMs: settings.statementTimeoutMs, log });
  const reads = openReadClient(sql);
  const groupCommitted = new GroupCommit(sql, url, { statementTimeoutMs: settings.statementTimeoutMs, log });
  return {
    reads,
    sql,
    groupCommitted,
    async close() {
      await groupCommitted.close();
      await reads.$disconnect();
      await sql.close();
    },
  };
}
