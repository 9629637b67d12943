import { migrate } from '../../server/src/db/migrate.ts';
import { createDatabase, openRunPostgres } from './postgresCluster.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<typeof migrate>[1];

/**
 * For benchmarks and scripts: runs `use` with the URL of a fresh, migrated database
 * `<prefix>_<random hex>` on the run's PostgreSQL (openRunPostgres: DATABASE_URL's server, or an
 * embedded cluster started for it). Drops the database and stops the cluster afterwards, also when
 * `use` throws. Resolves with what `use` resolves with.
 */
export async function withScratchDatabase<T>(prefix: string, use: (url: string) => Promise<T>): Promise<T> {
  const postgres = await openRunPostgres();
  try {
    const database = await createDatabase(postgres.adminUrl, `${prefix}_`);
    try {
      await migrate(database.url, silent);
      return await use(database.url);
    } finally {
      await database.drop().catch(() => undefined);
    }
  } finally {
    await postgres.close();
  }
}
