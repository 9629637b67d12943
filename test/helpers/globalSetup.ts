import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../server/src/db/migrate.ts';
import { buildAgentBundle } from './agentBundle.ts';
import { ensureConsoleBuilt } from './console.ts';
import { adminQuery, databaseUrl, openRunPostgres } from './postgresCluster.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** A superuser (or CREATEDB) URL; test databases are created through it. */
    databaseAdminUrl: string;
    /** The migrated database every test database is cloned from. */
    templateDatabase: string;
    /** Prefix of every database this run creates, so teardown can sweep leftovers. */
    testDatabasePrefix: string;
  }
}

const silentLogger = { info() {}, warn() {}, debug() {}, error() {}, trace() {}, fatal() {} };

/**
 * One PostgreSQL for the whole run: the embedded one, or the server in DATABASE_URL when set.
 * A template database is migrated once; each test file clones it (see database.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString('hex');
  // Built before any server starts and before test files run at once: every test sees one build.
  buildAgentBundle();
  await ensureConsoleBuilt();
  const startedAt = Date.now();
  const postgres = await openRunPostgres();
  const { adminUrl } = postgres;
  const clusterReadyAt = Date.now();

  const templateDatabase = `free_agent_template_${runId}`;
  const testDatabasePrefix = `free_agent_test_${runId}_`;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE "${templateDatabase}"`);
    await migrate(databaseUrl(adminUrl, templateDatabase), silentLogger as never);
    // Nobody may connect to the template: a connected session makes CREATE DATABASE … TEMPLATE fail.
    await adminQuery(adminUrl, `ALTER DATABASE "${templateDatabase}" WITH ALLOW_CONNECTIONS false`);
  } catch (error) {
    await dropDatabases(adminUrl, [templateDatabase]).catch(() => undefined);
    await postgres.close();
    throw error;
  }
  const templateReadyAt = Date.now();
  console.log(
    `[test database] ${postgres.embedded ? 'embedded PostgreSQL started' : 'using DATABASE_URL'} in ` +
      `${clusterReadyAt - startedAt} ms, template ${templateDatabase} migrated in ${templateReadyAt - clusterReadyAt} ms`,
  );

  project.provide('databaseAdminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('testDatabasePrefix', testDatabasePrefix);

  return async function teardown() {
    try {
      const leftovers = await adminQuery(adminUrl, `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [testDatabasePrefix]);
      await dropDatabases(adminUrl, [templateDatabase, ...leftovers.map((row) => String(row.datname))]);
    } finally {
      await postgres.close();
    }
  };
}

async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  for (const name of names) await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
