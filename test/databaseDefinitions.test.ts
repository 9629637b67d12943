// The database's functions and triggers are kept as source files (prisma/functions/*.sql) that the
// migrator applies again whenever they change. These tests run migrate() itself on cloned
// databases, with copies of those files changed the way a new version would change them.
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { functionsDir, migrate, migrationsDir, readDefinitions, readMigrations } from '../server/src/db/migrate.ts';
import { createTestDatabase } from './helpers/database.ts';
import { makeTempDir } from './helpers/postgresCluster.ts';

type Logger = Parameters<typeof migrate>[1];

let tempDir: string;
/** prisma/functions with one function body changed, as a newer version would ship it. */
let changedFunctionsDir: string;
const CHANGE_MARKER = '-- changed by databaseDefinitions.test.ts';

beforeAll(async () => {
  tempDir = await makeTempDir('free-agent-test-definitions-');
  changedFunctionsDir = path.join(tempDir, 'functions-changed');
  await cp(functionsDir, changedFunctionsDir, { recursive: true });
  const file = path.join(changedFunctionsDir, 'Build_startAttemptLog.sql');
  const sql = await readFile(file, 'utf8');
  const changed = sql.replace('RETURN NEW;', `${CHANGE_MARKER}\n  RETURN NEW;`);
  expect(changed).not.toBe(sql);
  await writeFile(file, changed);
});

afterAll(async () => {
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

/** A client on a fresh clone of the migrated template, closed and dropped when the test ends. */
async function clonedDatabase(): Promise<{ url: string; client: pg.Client }> {
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  onTestFinished(async () => {
    await client.end();
    await database.drop();
  });
  return { url: database.url, client };
}

/** A logger for migrate() that keeps what it was told. */
function recordingLogger(): { logger: Logger; entries: Array<{ level: string; fields: unknown; message: string }> } {
  const entries: Array<{ level: string; fields: unknown; message: string }> = [];
  const record = (level: string) => (fields: unknown, message: string) => entries.push({ level, fields, message });
  return { logger: { info: record('info'), warn: record('warn'), error: record('error'), debug() {} } as unknown as Logger, entries };
}

/**
 * Every function and trigger of the public schema as PostgreSQL prints it back (a function's
 * definition includes its SET options), with the row version (xmin) of its catalog row: a
 * definition applied again gets a new one even when nothing in it changed.
 */
async function catalogDefinitions(client: pg.Client): Promise<Array<{ definition: string; version: string }>> {
  const { rows } = await client.query<{ definition: string; version: string }>(`
    SELECT 'function ' || p.proname || E'\\n' || pg_get_functiondef(p.oid) AS definition, p.xmin::text AS version
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'trigger ' || t.tgname || ' (enabled: ' || t.tgenabled::text || E')\\n' || pg_get_triggerdef(t.oid), t.xmin::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND NOT t.tgisinternal
    ORDER BY 1`);
  return rows;
}

async function recordedChecksum(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ checksum: string }>('SELECT checksum FROM "_free_agent_definitions"');
  return rows.map((row) => row.checksum);
}

async function functionSource(client: pg.Client, name: string): Promise<string> {
  const { rows } = await client.query<{ source: string }>('SELECT prosrc AS source FROM pg_proc WHERE proname = $1', [name]);
  expect(rows).toHaveLength(1);
  return rows[0]!.source;
}

test('the migrated database has exactly the functions and triggers of prisma/functions, and records their checksum', async () => {
  const { client } = await clonedDatabase();
  const definitions = await readDefinitions();
  expect(await recordedChecksum(client)).toEqual([definitions.checksum]);

  const migrated = (await catalogDefinitions(client)).map((row) => row.definition);
  // Guard against an empty catalog read: the claim function with its planner settings is there.
  expect(migrated.find((definition) => definition.startsWith('function claimBuilds'))).toContain("SET jit TO 'off'");

  // Everything dropped, then made from the files alone: the same objects, printed the same.
  await client.query('BEGIN');
  const { rows: functions } = await client.query<{ signature: string }>(`
    SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`);
  for (const { signature } of functions) await client.query(`DROP FUNCTION ${signature} CASCADE`);
  expect(await catalogDefinitions(client)).toEqual([]);
  for (const file of definitions.files) await client.query(file.sql);
  const fromFiles = (await catalogDefinitions(client)).map((row) => row.definition);
  await client.query('ROLLBACK');
  expect(fromFiles).toEqual(migrated);
});

test('a changed definition file is applied by the next migrate, and unchanged files are not applied again', async () => {
  const { url, client } = await clonedDatabase();
  const original = await catalogDefinitions(client);

  const unchanged = recordingLogger();
  expect(await migrate(url, unchanged.logger)).toEqual([]);
  expect(await catalogDefinitions(client)).toEqual(original);
  expect(unchanged.entries).toEqual([]);

  const changed = recordingLogger();
  expect(await migrate(url, changed.logger, { functionsDir: changedFunctionsDir })).toEqual([]);
  expect(await functionSource(client, 'Build_startAttemptLog')).toContain(CHANGE_MARKER);
  expect(await recordedChecksum(client)).toEqual([(await readDefinitions(changedFunctionsDir)).checksum]);
  expect(changed.entries).toEqual([
    {
      level: 'info',
      fields: expect.objectContaining({ files: (await readDefinitions()).files.map((file) => file.name) }),
      message: 'applied function and trigger definitions',
    },
  ]);

  const afterChange = await catalogDefinitions(client);
  const again = recordingLogger();
  await migrate(url, again.logger, { functionsDir: changedFunctionsDir });
  expect(await catalogDefinitions(client)).toEqual(afterChange);
  expect(again.entries).toEqual([]);
});

test('a server that does not know the database newest migration leaves its functions and triggers alone', async () => {
  const { url, client } = await clonedDatabase();
  const migrations = await readMigrations();
  const newest = migrations.at(-1)!.name;
  const olderMigrationsDir = path.join(tempDir, `migrations-without-${newest}`);
  await cp(migrationsDir, olderMigrationsDir, { recursive: true });
  await rm(path.join(olderMigrationsDir, newest), { recursive: true });
  const before = await catalogDefinitions(client);
  const checksum = await recordedChecksum(client);

  const older = recordingLogger();
  expect(await migrate(url, older.logger, { migrationsDir: olderMigrationsDir, functionsDir: changedFunctionsDir })).toEqual([]);
  expect(await catalogDefinitions(client)).toEqual(before);
  expect(await recordedChecksum(client)).toEqual(checksum);
  expect(older.entries).toEqual([
    { level: 'warn', fields: { unknownMigrations: [newest] }, message: expect.stringContaining('left as they are') },
  ]);
});

test('a definition file that fails rolls back every file and names the one that failed', async () => {
  const { url, client } = await clonedDatabase();
  const brokenDir = path.join(tempDir, 'functions-broken');
  await cp(changedFunctionsDir, brokenDir, { recursive: true });
  await writeFile(
    path.join(brokenDir, 'zz_broken.sql'),
    'CREATE OR REPLACE TRIGGER "Build_broken" AFTER INSERT ON "NoSuchTable"\n  FOR EACH ROW EXECUTE FUNCTION "Build_startAttemptLog"();\n',
  );
  const before = await catalogDefinitions(client);
  const checksum = await recordedChecksum(client);

  await expect(migrate(url, recordingLogger().logger, { functionsDir: brokenDir })).rejects.toThrow(
    /Database definitions in zz_broken\.sql failed: relation "NoSuchTable" does not exist/,
  );
  // The changed function in an earlier file was rolled back with it.
  expect(await catalogDefinitions(client)).toEqual(before);
  expect(await recordedChecksum(client)).toEqual(checksum);
});
