// The write path's database layer, in this process on a real database: the pools' session
// settings, pipelined transactions (each all or nothing, several in flight on one connection), and group commit (statements that arrive
// together share one transaction, yet each gets its own answer or error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../server/src/db/connectionLoss.ts';
import { GroupCommit } from '../server/src/db/groupCommit.ts';
import { registry } from '../server/src/metrics/metrics.ts';
import { Sql, sql, SqlPool } from '../server/src/db/sql.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { eventually } from './helpers/flows.ts';

let database: TestDatabase;
let pool: SqlPool;
let pipelined: SqlPool;
let writes: GroupCommit;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new SqlPool(database.url, { size: 4, statementTimeoutMs: 5000 });
  pipelined = new SqlPool(database.url, { size: 1, statementTimeoutMs: 5000, pipeline: true });
  writes = new GroupCommit(pool, database.url, { statementTimeoutMs: 5000 });
  await pool.execute(sql`CREATE TABLE note (id int PRIMARY KEY, txid bigint NOT NULL DEFAULT txid_current())`);
});

afterAll(async () => {
  await writes?.close();
  await pipelined?.close();
  await pool?.close();
  await database?.drop();
});

const notes = () => pool.query<{ id: number; txid: string }>(sql`SELECT id, txid::text FROM note ORDER BY id`);

describe('SqlPool', () => {
  it('plans generically, never by a sequential scan where an index serves, and bounds every statement', async () => {
    const [settings] = await pool.query<{ plan: string; seqscan: string; timeout: string }>(
      sql`SELECT current_setting('plan_cache_mode') AS plan, current_setting('enable_seqscan') AS seqscan,
        current_setting('statement_timeout') AS timeout`,
    );
    expect(settings).toEqual({ plan: 'force_generic_plan', seqscan: 'off', timeout: '5s' });
  });

  it('keeps using the index for a statement first planned while its table was tiny', async () => {
    // One connection, so the statement's plan is the one made on the first run.
    const single = new SqlPool(database.url, { size: 1, statementTimeoutMs: 5000 });
    try {
      await single.execute(sql`CREATE TABLE lookup (id int PRIMARY KEY, label text NOT NULL)`);
      await single.execute(sql`INSERT INTO lookup SELECT n, 'row ' || n FROM generate_series(1, 5) n`);
      // As autovacuum leaves a young table: its statistics say how small it is.
      await single.execute(sql`ANALYZE lookup`);
      const find = (id: number) => single.query<{ label: string }>(sql`SELECT label FROM lookup WHERE id = ${id}::int`);
      expect(await find(3)).toEqual([{ label: 'row 3' }]);
      await single.execute(sql`INSERT INTO lookup SELECT n, 'row ' || n FROM generate_series(6, 20000) n`);
      const [prepared] = await single.query<{ name: string }>(
        sql`SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT label FROM lookup%'`,
      );
      const [explained] = await single.query<{ 'QUERY PLAN': [{ Plan: { 'Node Type': string } }] }>(
        new Sql([`EXPLAIN (FORMAT JSON) EXECUTE ${prepared!.name}(12345)`], []),
      );
      expect(explained!['QUERY PLAN'][0].Plan['Node Type']).toBe('Index Scan');
    } finally {
      await single.close();
    }
  });

  it('commits a pipelined transaction whole, or none of it when a statement fails', async () => {
    const results = await pipelined.transactionAtOnce([
      sql`INSERT INTO note (id) VALUES (1)`,
      sql`INSERT INTO note (id) VALUES (2) RETURNING id`,
    ]);
    expect(results.map((result) => result.rowCount)).toEqual([1, 1]);
    expect(results[1]!.rows).toEqual([{ id: 2 }]);

    await expect(
      pipelined.transactionAtOnce([
        sql`INSERT INTO note (id) VALUES (3)`,
        sql`INSERT INTO note (id) VALUES (1)`,
        sql`INSERT INTO note (id) VALUES (4)`,
      ]),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await notes()).map((note) => note.id)).toEqual([1, 2]);

    // The connection is usable again: the failed transaction ended.
    await pipelined.transactionAtOnce([sql`INSERT INTO note (id) VALUES (5)`]);
    expect((await notes()).map((note) => note.id)).toEqual([1, 2, 5]);
    await pool.execute(sql`DELETE FROM note`);
  });

  it('sends a transaction behind those still being answered, on the same connection, in order; a failed one holds back none', async () => {
    const written = (id: number) =>
      sql`INSERT INTO note (id) VALUES (${id}::int) RETURNING pg_backend_pid() AS backend, txid_current()::text AS txid`;
    type Written = { backend: number; txid: string };
    // Given at once, each while the ones before are unanswered.
    const slow = pipelined.transactionAtOnce([sql`SELECT pg_sleep(0.2)`, written(1)]);
    const failing = pipelined.transactionAtOnce([written(2), sql`INSERT INTO note (id) VALUES (1)`]);
    const behind = pipelined.transactionAtOnce([written(3)]);
    const [first, failed, last] = await Promise.allSettled([slow, failing, behind]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
    const [a] = (first as PromiseFulfilledResult<{ rows: Written[] }[]>).value[1]!.rows;
    const [c] = (last as PromiseFulfilledResult<{ rows: Written[] }[]>).value[0]!.rows;
    expect(c!.backend).toBe(a!.backend);
    expect(BigInt(c!.txid)).toBeGreaterThan(BigInt(a!.txid));
    expect((await notes()).map((note) => note.id)).toEqual([1, 3]);
    await pool.execute(sql`DELETE FROM note`);
  });

  it('fails the transactions on a connection that breaks with the loss, and opens another for the next', async () => {
    const backendOf = async () =>
      (await pipelined.transactionAtOnce([sql`SELECT pg_backend_pid() AS backend`, sql`SELECT 1`]))[0]!.rows[0].backend as number;
    const before = await backendOf();
    const running = pipelined.transactionAtOnce([sql`SELECT pg_sleep(5)`, sql`INSERT INTO note (id) VALUES (1)`]);
    await eventually(
      async () =>
        (await pool.query(sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${before}::int AND query LIKE '%pg_sleep%'`)).length > 0 ||
        undefined,
      5000,
      'the sleep to run',
    );
    await pool.query(sql`SELECT pg_terminate_backend(${before}::int)`);
    const lost = await running.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isConnectionLoss(lost)).toBe(true);
    expect(await backendOf()).not.toBe(before);
    expect(await notes()).toEqual([]);
  });
});

describe('GroupCommit', () => {
  it('runs statements that arrive together in one transaction, each answered with its own result', async () => {
    const ids = Array.from({ length: 10 }, (_, index) => 100 + index);
    const counts = await Promise.all(ids.map((id) => writes.execute(sql`INSERT INTO note (id) VALUES (${id}::int)`)));
    expect(counts).toEqual(ids.map(() => 1));
    const rows = await notes();
    expect(rows.map((row) => row.id)).toEqual(ids);
    // The first two go alone, at once (a turn each); the eight that arrived meanwhile share the next commit.
    expect(new Set(rows.map((row) => row.txid)).size).toBe(3);
    await pool.execute(sql`DELETE FROM note`);
  });

  it('gives a failing statement its own error and still commits the others of its batch', async () => {
    await writes.execute(sql`INSERT INTO note (id) VALUES (1)`);
    const outcomes = await Promise.allSettled([
      writes.execute(sql`INSERT INTO note (id) VALUES (2)`),
      writes.execute(sql`INSERT INTO note (id) VALUES (3)`),
      writes.execute(sql`INSERT INTO note (id) VALUES (1)`),
      writes.query<{ id: number }>(sql`INSERT INTO note (id) VALUES (4) RETURNING id`),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
    expect((outcomes[3] as PromiseFulfilledResult<unknown>).value).toEqual([{ id: 4 }]);
    expect((await notes()).map((note) => note.id)).toEqual([1, 2, 3, 4]);
    await pool.execute(sql`DELETE FROM note`);
  });

  it('logs and counts a batch that fails and falls back to its statements one by one', async () => {
    const warnings: { fields: { batchSize: number; err: unknown }; message: string }[] = [];
    const log = { warn: (fields: never, message: string) => warnings.push({ fields, message }) };
    const logged = new GroupCommit(pool, database.url, { statementTimeoutMs: 5000, log: log as never });
    // The text /metrics serves: the process's registry.
    const fallbacks = async () => Number(/^free_agent_group_commit_fallbacks_total (\d+)$/m.exec(await registry.metrics())![1]);
    try {
      const before = await fallbacks();
      await logged.execute(sql`INSERT INTO note (id) VALUES (1)`);
      // 2 and 5 go alone, at once (a turn each); the three that arrive while they run share one
      // batch, which the duplicate fails.
      const alone = [logged.execute(sql`INSERT INTO note (id) VALUES (2)`), logged.execute(sql`INSERT INTO note (id) VALUES (5)`)];
      const batch = [
        logged.execute(sql`INSERT INTO note (id) VALUES (3)`),
        logged.execute(sql`INSERT INTO note (id) VALUES (1)`),
        logged.execute(sql`INSERT INTO note (id) VALUES (4)`),
      ];
      const outcomes = await Promise.allSettled([...alone, ...batch]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(await fallbacks()).toBe(before + 1);
      expect(warnings).toEqual([
        { fields: { batchSize: 3, err: expect.objectContaining({ code: '23505' }) }, message: expect.stringContaining('one by one') },
      ]);
    } finally {
      await logged.close();
      await pool.execute(sql`DELETE FROM note`);
    }
  });
});
