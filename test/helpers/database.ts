import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { adminQuery, databaseUrl } from './postgresCluster.ts';

export interface TestDatabase {
  /** A connection URL for the new database (same credentials as the admin URL). */
  url: string;
  name: string;
  /** Drops the database, ending any connections still open to it. */
  drop(): Promise<void>;
}

// Clones from one test process are made one at a time; other processes may still clone at the
// same moment, which PostgreSQL can refuse while it copies: that case is retried.
let cloneQueue: Promise<unknown> = Promise.resolve();

/** A fresh database cloned from the migrated template made by globalSetup.ts. */
export function createTestDatabase(): Promise<TestDatabase> {
  const clone = cloneQueue.then(cloneTemplate);
  cloneQueue = clone.catch(() => undefined);
  return clone;
}

async function cloneTemplate(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const template = inject('templateDatabase');
  const name = `${inject('testDatabasePrefix')}${randomBytes(5).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      break;
    } catch (error) {
      const busy = /is being accessed by other users/.test((error as Error).message);
      if (!busy || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
  let dropped = false;
  return {
    url: databaseUrl(adminUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
