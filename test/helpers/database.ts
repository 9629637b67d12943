import { inject } from 'vitest';
import { createDatabase, type ScratchDatabase } from './postgresCluster.ts';

/** A test file's own database: `url`, `name` and `drop()` (ends open connections). */
export type TestDatabase = ScratchDatabase;

// Clones from one test process are made one at a time; other processes may still clone at the
// same moment, which PostgreSQL can refuse while it copies: createDatabase() retries that case.
let cloneQueue: Promise<unknown> = Promise.resolve();

/** A fresh database cloned from the migrated template made by globalSetup.ts. */
export function createTestDatabase(): Promise<TestDatabase> {
  const clone = cloneQueue.then(() => createDatabase(inject('databaseAdminUrl'), inject('testDatabasePrefix'), inject('templateDatabase')));
  cloneQueue = clone.catch(() => undefined);
  return clone;
}
