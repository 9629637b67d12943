import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { lostConnection } from './sql.ts';

export const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
export const functionsDir = fileURLToPath(new URL('../../../prisma/functions', import.meta.url));

// Any constant works; all server processes must agree on it.
const MIGRATION_LOCK_KEY = 72_617_001;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The function and trigger definitions: every `*.sql` file of a folder, in name order, and one checksum over them all. */
export interface DatabaseDefinitions {
  files: Array<{ name: string; sql: string }>;
  /** sha256 (hex) over each file's name and text, so a renamed, added or removed file changes it too. */
  checksum: string;
}

/** Where migrate() reads its SQL; by default the repository's `prisma/` folders (tests pass copies). */
export interface MigrationSources {
  /** Folders holding a `migration.sql` each, applied once each in name order. */
  migrationsDir?: string;
  /** `*.sql` files of functions and triggers, applied again whenever their checksum changes. */
  functionsDir?: string;
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Reads the definition files of `dir` (default `prisma/functions`); throws if the folder cannot be read. */
export async function readDefinitions(dir = functionsDir): Promise<DatabaseDefinitions> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => entry.name)
    .sort();
  const files = await Promise.all(names.map(async (name) => ({ name, sql: await readFile(path.join(dir, name), 'utf8') })));
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.name}\0${file.sql}\0`);
  return { files, checksum: hash.digest('hex') };
}

/**
 * Applies pending migrations in order, each in its own transaction, recorded in Prisma's
 * `_prisma_migrations` table so `prisma migrate deploy` agrees; then the function and trigger
 * definitions (applyDefinitions). An advisory lock lets several server processes start at once.
 * Resolves with the names of the migrations it applied; throws when a migration or definition
 * fails (rolled back) or an applied migration's file changed.
 */
export async function migrate(databaseUrl: string, log: Logger, sources: MigrationSources = {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection lost mid-migration rejects the statement running, which fails the start with its
  // message; the 'error' event that follows must not end the process first.
  client.on('error', (error) => log.warn(lostConnection(error), 'the migration connection was lost'));
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const applied = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const appliedChecksums = new Map(applied.rows.map((row) => [row.migration_name, row.checksum]));
    const newlyApplied: string[] = [];
    const migrations = await readMigrations(sources.migrationsDir);
    for (const migration of migrations) {
      const recorded = appliedChecksums.get(migration.name);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum)
          throw new Error(`Migration ${migration.name} was changed after it was applied; restore it and add a new one`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      log.info({ migration: migration.name }, 'applied migration');
      newlyApplied.push(migration.name);
    }
    const known = new Set(migrations.map((migration) => migration.name));
    const unknownMigrations = [...appliedChecksums.keys()].filter((name) => !known.has(name)).sort();
    await applyDefinitions(client, await readDefinitions(sources.functionsDir), unknownMigrations, log);
    return newlyApplied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/**
 * Runs every definition file, in one transaction, when their checksum differs from the one recorded
 * in `_free_agent_definitions` (CREATE OR REPLACE makes running them again safe), and records the new
 * one. Left alone when the database has applied migrations this server does not know
 * (`unknownMigrations`): a newer version migrated it, and an older server starting during a rolling
 * upgrade must not put back its older definitions. Throws, after rolling back, when a file fails.
 */
async function applyDefinitions(
  client: pg.Client,
  definitions: DatabaseDefinitions,
  unknownMigrations: string[],
  log: Logger,
): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS "_free_agent_definitions" (
    "checksum" VARCHAR(64) NOT NULL,
    "files" TEXT[] NOT NULL,
    "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`);
  const recorded = await client.query<{ checksum: string }>('SELECT checksum FROM "_free_agent_definitions"');
  if (recorded.rows[0]?.checksum === definitions.checksum) return;
  if (unknownMigrations.length > 0) {
    log.warn(
      { unknownMigrations },
      'the database has migrations this server does not know (a newer version migrated it): its functions and triggers are left as they are',
    );
    return;
  }
  const files = definitions.files.map((file) => file.name);
  await client.query('BEGIN');
  try {
    for (const file of definitions.files) {
      try {
        await client.query(file.sql);
      } catch (error) {
        throw new Error(`Database definitions in ${file.name} failed: ${(error as Error).message}`);
      }
    }
    // One row: the definitions the database has now.
    await client.query('DELETE FROM "_free_agent_definitions"');
    await client.query('INSERT INTO "_free_agent_definitions" (checksum, files) VALUES ($1, $2)', [definitions.checksum, files]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  log.info({ files, checksum: definitions.checksum }, 'applied function and trigger definitions');
}

/** True when every migration on disk is recorded as applied (for /readyz). */
export async function migrationsApplied(query: (sql: string) => Promise<{ migration_name: string }[]>): Promise<boolean> {
  const rows = await query('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
  const applied = new Set(rows.map((row) => row.migration_name));
  return (await readMigrations()).every((migration) => applied.has(migration.name));
}
