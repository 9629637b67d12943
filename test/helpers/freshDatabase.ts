import { createDatabase } from './postgresCluster.ts';

/**
 * The URL of an empty database on the cluster of `adminUrl`, named `<prefix><random hex>`; the
 * server migrates it when it starts. On the shared test cluster, pass the run's `testDatabasePrefix`,
 * so the run's teardown drops it even when the test file dies first.
 */
export async function createEmptyDatabase(adminUrl: string, prefix = 'free_agent_'): Promise<string> {
  return (await createDatabase(adminUrl, prefix)).url;
}
