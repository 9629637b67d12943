import { randomBytes } from 'node:crypto';
import { adminQuery, databaseUrl } from './postgresCluster.ts';

/** An empty database on a cluster of a test's own; the server migrates it when it starts. */
export async function createEmptyDatabase(adminUrl: string): Promise<string> {
  const name = `free_agent_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  return databaseUrl(adminUrl, name);
}
