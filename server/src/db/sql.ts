import type { Socket } from 'node:net';
import pg from 'pg';
import type { Logger } from 'pino';
import { requestContext } from '../http/requestContext.ts';

/**
 * The write path's access to PostgreSQL: parameterised SQL on a `pg` pool (shared with Prisma's
 * adapter), each distinct statement prepared once per connection. Transitions are single
 * statements or short transactions here: a Prisma interactive transaction costs several times
 * the Node CPU of the same statements on `pg` (docs/performance.md, "Design figures"). Reads for
 * GraphQL selections stay on Prisma.
 */

/** A piece of SQL with its parameters; fragments nest, and `join` lists them. */
export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly params: readonly unknown[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...params: unknown[]): Sql {
  return new Sql(strings, params);
}

export function join(fragments: Sql[], separator = ', '): Sql {
  if (fragments.length === 0) return sql``;
  const parts = ['', ...fragments.slice(1).map(() => separator), ''];
  return new Sql(parts, fragments);
}

/** The text with `$n` placeholders and its values, nested fragments inlined. */
export function compile(fragment: Sql): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const append = (piece: Sql): string => {
    let text = piece.parts[0];
    piece.params.forEach((param, index) => {
      if (param instanceof Sql) text += append(param);
      else {
        values.push(param);
        text += `$${values.length}`;
      }
      text += piece.parts[index + 1];
    });
    return text;
  };
  return { text: append(fragment), values };
}

/** What a statement runs on: the pool, or one transaction's connection. */
export interface SqlClient {
  query<Row>(statement: Sql): Promise<Row[]>;
  /** Runs a statement and returns how many rows it changed. */
  execute(statement: Sql): Promise<number>;
  /**
   * Runs `callback` once what was written through this client is committed: at once outside a
   * transaction (each statement has committed when it answers), at COMMIT inside one, and never
   * if that transaction rolls back. For side effects such as metrics, which must count what
   * happened once, not what was attempted.
   */
  afterCommit(callback: () => void): void;
}

const statementNames = new Map<string, string>();
/** Texts vary only by their fragments, so there are few; past this many, new ones go unprepared. */
const MAX_PREPARED = 500;

/** Statements are prepared by name, so PostgreSQL parses and plans each text once per connection. */
function prepared(statement: Sql): pg.QueryConfig {
  const { text, values } = compile(statement);
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_PREPARED) {
    name = `fa_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  const request = requestContext.getStore();
  if (request) request.databaseOperations += 1;
  return { name, text, values };
}

class Connection implements SqlClient {
  readonly committed: (() => void)[] = [];

  constructor(private readonly client: pg.ClientBase) {}

  afterCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  async query<Row>(statement: Sql): Promise<Row[]> {
    return (await this.client.query(prepared(statement))).rows as Row[];
  }

  async execute(statement: Sql): Promise<number> {
    return (await this.client.query(prepared(statement))).rowCount ?? 0;
  }
}

/**
 * A connection that breaks (a terminated backend, a database restart, an idle timeout) emits
 * 'error' on its client, and on the pool while the client is idle in it; an 'error' event nobody
 * listens to ends the process. So both are listened to here, for every connection, idle or checked
 * out (by us or by Prisma's adapter): the query running on it has been rejected already, and the
 * pool drops the connection and opens a new one on demand.
 */
function handleConnectionErrors(pool: pg.Pool, log: Logger | undefined): void {
  pool.on('error', (error) => log?.warn(lostConnection(error), 'an idle database connection was lost'));
  pool.on('connect', (client) => client.on('error', (error) => log?.debug(lostConnection(error), 'a database connection was lost')));
}

/** What a log line says of a lost connection: its SQLSTATE or errno and message (pg-pool attaches the whole client to the error). */
export function lostConnection(error: Error & { code?: string }): { code?: string; reason: string } {
  return { code: error.code, reason: error.message };
}

const DEADLOCK_DETECTED = '40P01';
const DEADLOCK_ATTEMPTS = 3;

export class SqlPool implements SqlClient {
  readonly pool: pg.Pool;

  /**
   * `statementTimeoutMs` bounds every statement, so a stuck lock wait fails instead of piling up
   * requests. `pipeline` connections send a query without waiting for the answers before it
   * (node-postgres' pipeline mode), for transactionAtOnce(). `log` hears of connections lost.
   */
  constructor(url: string, options: { size: number; statementTimeoutMs: number; pipeline?: boolean; log?: Logger }) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.size,
      connectionTimeoutMillis: 10_000,
      statement_timeout: options.statementTimeoutMs,
      // Our statements look rows up by key, where a generic plan is as good as a custom one; without
      // this each connection plans each statement six times before it settles on the generic plan.
      // That plan is made once per connection and kept until the tables are next analyzed: made
      // while a table is a page or two (a fresh install, a fresh database), it scans the table
      // where an index serves, and keeps scanning as the table grows. Every query here is meant to
      // be served by an index (key lookups, lists paged by indexed keys, stats on partial
      // indexes), so a sequential scan is only taken where no index can serve at all. Such a scan
      // (the workers list sorted by name) is then costed past jit_above_cost, and JIT-compiling it
      // took longer than running it many times over: JIT is off, as it never pays for our statements.
      options: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c jit=off',
      pipeline: options.pipeline ?? false,
    });
    handleConnectionErrors(this.pool, options.log);
  }

  async query<Row>(statement: Sql): Promise<Row[]> {
    return (await this.pool.query(prepared(statement))).rows as Row[];
  }

  async execute(statement: Sql): Promise<number> {
    return (await this.pool.query(prepared(statement))).rowCount ?? 0;
  }

  afterCommit(callback: () => void): void {
    callback();
  }

  /**
   * Runs `work` in a transaction on one connection: committed when it resolves, rolled back when it
   * throws. A transaction PostgreSQL aborts to break a deadlock kept nothing, so it runs again.
   */
  async transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt === DEADLOCK_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Runs the statements in one transaction sent as one pipeline: BEGIN, the statements and COMMIT
   * go out together, with no round trip between them. Resolves with each statement's result once
   * committed; rejects with the first error if any statement or the commit failed, and then none
   * of them took effect. Only on a pool made with `pipeline`, whose one connection it holds across
   * calls: a call made while others are still being answered goes out behind them at once, and
   * PostgreSQL runs the transactions one after another, in the order of the calls.
   */
  async transactionAtOnce(statements: Sql[]): Promise<pg.QueryResult[]> {
    const held = this.#heldConnection();
    const client = await held;
    try {
      // A pipelined query goes out as it is made, each in a write of its own; corked, they all
      // leave in one, and the server wakes once for the batch instead of once per statement.
      const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
      socket.cork();
      let sent: Promise<pg.QueryResult>[];
      try {
        sent = [client.query('BEGIN'), ...statements.map((statement) => client.query(prepared(statement))), client.query('COMMIT')];
      } finally {
        socket.uncork();
      }
      const settled = await Promise.allSettled(sent);
      const failed = settled.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      const results = settled.map((outcome) => (outcome as PromiseFulfilledResult<pg.QueryResult>).value);
      // After a failed statement PostgreSQL answers COMMIT with ROLLBACK, not an error; checked all the same.
      if (results.at(-1)!.command !== 'COMMIT') throw new Error(`the transaction ended in ${results.at(-1)!.command}`);
      return results.slice(1, -1);
    } catch (error) {
      // A failed statement aborted the transaction, and COMMIT then ended it: nothing is left open
      // and the next transaction can follow, unless the connection itself broke.
      if (!(error as { code?: string }).code) this.#dropHeld(held, error as Error);
      throw error;
    }
  }

  /** A pipeline pool's one connection, held by transactionAtOnce until it breaks or the pool closes. */
  #held: Promise<pg.PoolClient> | undefined;

  #heldConnection(): Promise<pg.PoolClient> {
    if (this.#held) return this.#held;
    const held: Promise<pg.PoolClient> = this.pool.connect().then((client) => {
      // Broken while nothing ran on it (a restart, a terminated backend): the next call opens another.
      client.once('error', (error: Error) => this.#dropHeld(held, error));
      client.once('end', () => this.#dropHeld(held, new Error('Connection terminated')));
      return client;
    });
    this.#held = held;
    held.catch(() => {
      if (this.#held === held) this.#held = undefined;
    });
    return held;
  }

  /** Hands a broken held connection back to the pool to be closed (once, whoever notices first). */
  #dropHeld(held: Promise<pg.PoolClient>, error: Error): void {
    if (this.#held !== held) return;
    this.#held = undefined;
    void held.then((client) => client.release(error));
  }

  async #transactionOnce<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const connection = new Connection(client);
      const result = await work(connection);
      await client.query('COMMIT');
      for (const callback of connection.committed) callback();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    (await held?.catch(() => undefined))?.release();
    await this.pool.end();
  }
}
