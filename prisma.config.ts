import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (generate; migrate deploy where the schema engine is available).
// The server applies prisma/migrations itself at start-up.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/free_agent' },
});
