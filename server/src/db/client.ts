import { PrismaPg } from '@prisma/adapter-pg';
import type { Logger } from 'pino';
import { PrismaClient } from '../generated/prisma/client.ts';
import { requestContext } from '../http/requestContext.ts';
import { SqlPool } from './sql.ts';
import type { Config } from '../config/config.ts';

/** Counts Prisma operations per request, so the request log shows an N+1 at once. */
function countOperations(client: PrismaClient) {
  return client.$extends({
    name: 'countOperations',
    query: {
      async $allOperations({ args, query }) {
        const state = requestContext.getStore();
        if (state) state.databaseOperations += 1;
        return query(args);
      },
    },
  });
}

/** Prisma, for reads shaped by GraphQL selections and for cold paths. */
export type Database = ReturnType<typeof countOperations>;
/** A Prisma client or an interactive transaction. */
export type Tx = Omit<Database, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

let client: Database | undefined;
let pool: SqlPool | undefined;

/**
 * Opens the process-wide pool and the Prisma client on it; domain functions receive them as
 * arguments. Lost connections are logged to `log` and replaced (see db/sql.ts).
 */
export function openDatabase(
  url: string,
  settings: Pick<Config, 'dbPoolSize' | 'statementTimeoutMs'>,
  log: Logger,
): { db: Database; pool: SqlPool } {
  pool = new SqlPool(url, { size: settings.dbPoolSize, statementTimeoutMs: settings.statementTimeoutMs, log });
  client = countOperations(new PrismaClient({ adapter: new PrismaPg(pool.pool) }));
  return { db: client, pool };
}

export function database(): Database {
  if (!client) throw new Error('the database is not open yet');
  return client;
}

/** The write path's SQL pool (see db/sql.ts). */
export function sqlPool(): SqlPool {
  if (!pool) throw new Error('the database is not open yet');
  return pool;
}

export async function closeDatabase(): Promise<void> {
  await client?.$disconnect();
  await pool?.close();
  client = undefined;
  pool = undefined;
}
