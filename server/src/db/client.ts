import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Database = PrismaClient;
/** A Prisma client or an interactive transaction: what domain functions take. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

let client: PrismaClient | undefined;

/** Opens the process-wide Prisma client; domain functions receive it as an argument. */
export function openDatabase(url: string, poolSize: number): PrismaClient {
  client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
  return client;
}

export function database(): PrismaClient {
  if (!client) throw new Error('the database is not open yet');
  return client;
}

export async function closeDatabase(): Promise<void> {
  await client?.$disconnect();
  client = undefined;
}
