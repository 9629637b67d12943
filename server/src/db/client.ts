import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { requestContext } from '../http/requestContext.ts';
import type { SqlPool } from './sql.ts';

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

/** Prisma, for reads shaped by GraphQL selections and for cold paths (Db.reads in db/database.ts). */
export type Database = ReturnType<typeof countOperations>;
/** A Prisma client or an interactive transaction. */
export type Tx = Omit<Database, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** Prisma on `pool`'s connections, counting its operations per request (see Db.reads in db/database.ts). */
export function openReadClient(pool: SqlPool): Database {
  return countOperations(new PrismaClient({ adapter: new PrismaPg(pool.pool) }));
}
