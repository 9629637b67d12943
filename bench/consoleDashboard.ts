// `node --import tsx bench/consoleDashboard.ts [--builds N]`: the database time of the
// console dashboard's queries on a realistic history. It makes a fresh database (on DATABASE_URL's
// server, or an embedded cluster), inserts N builds (default 100,000) spread over the last 48 hours
// with one SQL statement built on generate_series (with their claim and finish events), then runs
// each statement of queueStats and of buildHistory for 6 h, 24 h and 48 h under EXPLAIN ANALYZE,
// as the server runs them (prepared, generic plan, the server's connection options), and prints
// the median execution and planning times of five runs, and the wall time of the domain functions
// themselves. Figures only: nothing is checked. Everything it makes is dropped at the end.
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { withScratchDatabase } from '../test/helpers/scratchDatabase.ts';
import type { Database } from '../server/src/db/client.ts';
import { openDb } from '../server/src/db/database.ts';
import { compile, type Sql, type SqlClient } from '../server/src/db/sql.ts';
import { Prisma } from '../server/src/generated/prisma/client.ts';
import { buildHistory } from '../server/src/queue/history.ts';
import { queueStats } from '../server/src/queue/stats.ts';

const RUNS = 5;
/** The dashboard's ranges (web/src/pages/dashboard/dashboardSearch.ts), and the longest the API allows. */
const HISTORY_RANGES = [
  { hours: 6, bucketMinutes: 5 },
  { hours: 24, bucketMinutes: 15 },
  { hours: 48, bucketMinutes: 30 },
];
/** The server's connection options (server/src/db/sql.ts), so the plans are the server's. */
const SERVER_OPTIONS = '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c jit=off';

// The migrator and the pool only log lost connections and applied migrations: not wanted here.
const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<typeof openDb>[2];

function parseBuilds(argv: string[]): number {
  const index = argv.indexOf('--builds');
  const count = index >= 0 ? Number(argv[index + 1]) : 100_000;
  if (!Number.isInteger(count) || count < 1000) throw new Error('--builds takes an integer of at least 1000');
  return count;
}

/**
 * Fills the database with `count` builds over the last 48 hours: a small queue (pending in the last
 * ten minutes, a few building), the rest finished (85 % completed, 10 % failed, 5 % cancelled, a
 * third of those before a claim), waits of 0–2 min and runs of 2–17 min, 60 % iOS; and their
 * events (submitted, claimed, started, finished). Deterministic (setseed).
 */
export async function insertHistory(client: pg.Client, count: number): Promise<void> {
  await client.query('SELECT setseed(0.42)');
  await client.query(
    `WITH raw AS (
       SELECT g, random() AS kind, random() AS plat, random() AS early,
         (random() * 120)::int AS wait_s, (120 + random() * 900)::int AS run_s,
         CASE WHEN g <= 150 THEN now() - random() * interval '10 minutes'
              WHEN g <= 170 THEN now() - interval '5 minutes' - random() * interval '10 minutes'
              ELSE now() - interval '20 minutes' - random() * interval '47 hours 40 minutes' END AS submitted
       FROM generate_series(1, $1::int) AS g
     ), shaped AS (
       SELECT *, CASE WHEN g <= 150 THEN 'PENDING' WHEN g <= 170 THEN 'BUILDING'
                      WHEN kind < 0.85 THEN 'COMPLETED' WHEN kind < 0.95 THEN 'FAILED' ELSE 'CANCELLED' END AS status
       FROM raw
     ), timed AS (
       SELECT *,
         CASE WHEN status = 'PENDING' OR (status = 'CANCELLED' AND early < 0.33) THEN NULL
              ELSE submitted + wait_s * interval '1 second' END AS assigned
       FROM shaped
     )
     INSERT INTO "Build" (platform, status, "sourceKey", "sourceSize", "sourceSha256", "submittedAt", "assignedAt",
       "startedAt", "finishedAt", attempt, "heartbeatTimeoutSeconds", "timeoutSeconds", "errorMessage")
     SELECT CASE WHEN plat < 0.6 THEN 'IOS' ELSE 'ANDROID' END::"Platform", status::"BuildStatus",
       'bench/' || g, 1024, repeat('0', 64), submitted, assigned,
       assigned + interval '2 seconds',
       CASE WHEN status IN ('PENDING', 'BUILDING') THEN NULL
            WHEN assigned IS NULL THEN least(now(), submitted + wait_s * interval '1 second')
            ELSE least(now(), assigned + run_s * interval '1 second') END,
       CASE WHEN assigned IS NULL THEN 0 ELSE 1 END, 60, 3600,
       CASE WHEN status = 'FAILED' THEN 'compile error' END
     FROM timed`,
    [count],
  );
  await client.query(
    `INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, at)
     SELECT id, NULL::"BuildStatus", 'PENDING'::"BuildStatus", 'system', "submittedAt" FROM "Build"
     UNION ALL SELECT id, 'PENDING', 'ASSIGNED', 'worker:bench', "assignedAt" FROM "Build" WHERE "assignedAt" IS NOT NULL
     UNION ALL SELECT id, 'ASSIGNED', 'BUILDING', 'worker:bench', "startedAt" FROM "Build" WHERE "startedAt" IS NOT NULL
     UNION ALL SELECT id, CASE WHEN "startedAt" IS NULL THEN 'PENDING' ELSE 'BUILDING' END::"BuildStatus", status, 'worker:bench', "finishedAt"
       FROM "Build" WHERE "finishedAt" IS NOT NULL`,
  );
  await client.query('ANALYZE');
}

/** The statements `run` sends through Prisma's $queryRaw or $queryRawUnsafe, compiled to text and values. */
async function capturePrisma(db: Database, run: (db: Database) => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const captured: { text: string; values: unknown[] }[] = [];
  const spy = new Proxy(db, {
    get(target, property, receiver) {
      if (property === '$queryRawUnsafe')
        return (text: string, ...values: unknown[]) => {
          captured.push({ text, values });
          return target.$queryRawUnsafe(text, ...values);
        };
      if (property !== '$queryRaw') return Reflect.get(target, property, receiver);
      return (strings: TemplateStringsArray, ...values: unknown[]) => {
        const statement = Prisma.sql(strings, ...(values as Prisma.Sql[]));
        captured.push({ text: statement.text, values: statement.values });
        return target.$queryRaw(strings, ...values);
      };
    },
  });
  await run(spy);
  return captured;
}

/** The statements `run` sends through a SqlClient's query(). */
async function captureSql(client: SqlClient, run: (client: SqlClient) => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const captured: { text: string; values: unknown[] }[] = [];
  const spy = Object.create(client) as SqlClient;
  spy.query = (statement: Sql) => {
    captured.push(compile(statement));
    return client.query(statement);
  };
  await run(spy);
  return captured;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Median execution and planning time (ms) of `RUNS` EXPLAIN ANALYZE runs of a statement, prepared
 * as the server prepares it (a generic plan under SERVER_OPTIONS), after one warm-up run.
 */
async function explain(client: pg.Client, name: string, statement: { text: string; values: unknown[] }) {
  await client.query(`PREPARE ${name} AS ${statement.text}`);
  // EXECUTE takes its arguments as expressions, not bind parameters: the values go in as literals.
  const literal = (value: unknown) =>
    typeof value === 'number' ? String(value) : client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value));
  const args = statement.values.map(literal).join(', ');
  const execute = `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name}${args ? `(${args})` : ''}`;
  const execution: number[] = [];
  const planning: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const result = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number; 'Planning Time': number }] }>(execute);
    if (run === 0) continue;
    execution.push(result.rows[0]['QUERY PLAN'][0]['Execution Time']);
    planning.push(result.rows[0]['QUERY PLAN'][0]['Planning Time']);
  }
  await client.query(`DEALLOCATE ${name}`);
  return { executionMs: median(execution), planningMs: median(planning) };
}

/** Median wall time (ms) of `RUNS` calls after one warm-up call. */
async function wallTime(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** The first line of a statement that says what it reads, for the table. */
function describe(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 70 ? `${line.slice(0, 67)}...` : line;
}

async function main() {
  const builds = parseBuilds(process.argv.slice(2));
  await withScratchDatabase('free_agent_bench_dashboard', async (url) => {
    const client = new pg.Client({ connectionString: url, options: SERVER_OPTIONS });
    try {
      await client.connect();
      const inserting = performance.now();
      await insertHistory(client, builds);
      const counts = await client.query<{ builds: number; events: number }>(
        `SELECT (SELECT count(*) FROM "Build")::int AS builds, (SELECT count(*) FROM "BuildEvent")::int AS events`,
      );
      const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
      console.log(
        `${counts.rows[0].builds} builds and ${counts.rows[0].events} events over 48 h, inserted and analyzed in ` +
          `${((performance.now() - inserting) / 1000).toFixed(1)} s; PostgreSQL ${version}; ${RUNS} runs each, medians\n`,
      );

      const opened = openDb(url, { dbPoolSize: 4, statementTimeoutMs: 30_000 }, silent);
      const { reads: db, sql: pool } = opened;
      const rows: string[][] = [];
      const statsStatements = await capturePrisma(db, queueStats);
      for (const [index, statement] of statsStatements.entries()) {
        const { executionMs, planningMs } = await explain(client, `stats_${index}`, statement);
        rows.push([`queueStats #${index + 1}`, executionMs.toFixed(2), planningMs.toFixed(2), describe(statement.text)]);
      }
      const statsWall = await wallTime(() => queueStats(db));
      rows.push(['queueStats (all, in parallel)', '', '', `wall ${statsWall.toFixed(2)} ms through Prisma`]);
      for (const { hours, bucketMinutes } of HISTORY_RANGES) {
        const [statement] = await captureSql(pool, (spy) => buildHistory(spy, hours, bucketMinutes));
        const { executionMs, planningMs } = await explain(client, `history_${hours}`, statement);
        const wall = await wallTime(() => buildHistory(pool, hours, bucketMinutes));
        rows.push([
          `buildHistory ${hours} h / ${bucketMinutes} min`,
          executionMs.toFixed(2),
          planningMs.toFixed(2),
          `wall ${wall.toFixed(2)} ms`,
        ]);
      }
      await opened.close();

      const header = ['query', 'execution ms', 'planning ms', 'statement / note'];
      const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
      const format = (row: string[]) =>
        row.map((cell, column) => (column === 1 || column === 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ');
      console.log(format(header));
      for (const row of rows) console.log(format(row));
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

// Only when run, not when another bench imports insertHistory (scripts/consoleLoadBench.ts).
if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
