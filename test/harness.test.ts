import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

describe('the test harness', () => {
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });

  afterAll(async () => {
    await first?.drop();
    await second?.drop();
  });

  test('two cloned databases are migrated and independent of each other', async () => {
    expect(first.url).not.toBe(second.url);
    const a = new pg.Client({ connectionString: first.url });
    const b = new pg.Client({ connectionString: second.url });
    await a.connect();
    await b.connect();
    try {
      await a.query(`INSERT INTO "ApiKey" (name, role, hash) VALUES ('only-in-first', 'ADMIN', 'hash-1')`);
      const inFirst = await a.query(`SELECT name FROM "ApiKey"`);
      const inSecond = await b.query(`SELECT name FROM "ApiKey"`);
      expect(inFirst.rows).toEqual([{ name: 'only-in-first' }]);
      expect(inSecond.rows).toEqual([]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  test('a dropped test database is gone even while a connection to it is open', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    client.on('error', () => undefined); // the drop terminates this connection
    await database.drop();
    await client.end().catch(() => undefined);
    const check = new pg.Client({ connectionString: first.url });
    await check.connect();
    try {
      const { rows } = await check.query('SELECT 1 FROM pg_database WHERE datname = $1', [database.name]);
      expect(rows).toEqual([]);
    } finally {
      await check.end();
    }
  });
});
