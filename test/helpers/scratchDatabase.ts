import { randomBytes } from 'node:crypto';
import { migrate } from '../../server/src/db/migrate.ts';
import { adminQuery, databaseUrl, startTestCluster, type TestCluster } from './postgresCluster.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<typeof migrate>[1];

/**
 * For benchmarks: runs `use` with the URL of a fresh, migrated database `<prefix>_<random hex>` on
 * DATABASE_URL's server, or on an embedded cluster started for it when DATABASE_URL is unset.
 * Drops the database (WITH FORCE) and stops the cluster afterwards, also when `use` throws.
 * Resolves with what `use` resolves with.
 */
export async function withScratchDatabase<T>(prefix: string, use: (url: string) => Promise<T>): Promise<T> {
  let cluster: TestCluster | undefined;
  const adminUrl = process.env.DATABASE_URL ?? (cluster = await startTestCluster()).adminUrl;
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
    const url = databaseUrl(adminUrl, name);
    await migrate(url, silent);
    return await use(url);
  } finally {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await cluster?.stop();
  }
}
