import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { requestContext } from '../http/requestContext.ts';

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

export type Database = ReturnType<typeof countOperations>;
/** A Prisma client or an interactive transaction: what domain functions take. */
export type Tx = Omit<Database, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

let client: Database | undefined;

/** Opens the process-wide Prisma client; domain functions receive it as an argument. */
export function openDatabase(url: string, poolSize: number): Database {
  client = countOperations(new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) }));
  return client;
}

export function database(): Database {
  if (!client) throw new Error('the database is not open yet');
  return client;
}

export async function closeDatabase(): Promise<void> {
  await client?.$disconnect();
  client = undefined;
}
