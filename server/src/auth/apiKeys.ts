import type { Database } from '../db/client.ts';
import { sql, type SqlPool } from '../db/sql.ts';
import type { ApiKeyRole } from '../generated/prisma/enums.ts';
import { conflict, notFound } from '../errors.ts';
import { publish } from '../events/publish.ts';
import { assertId, assertText } from '../queue/validate.ts';
import { hashSecret, newApiKeySecret } from './secrets.ts';

/** A new key; its secret exists only in this answer, the database keeps its hash. */
export async function createApiKey(db: Database, input: { name: string; role: ApiKeyRole }) {
  const name = assertText(input.name, 200, 'name');
  const secret = newApiKeySecret();
  const apiKey = await db.apiKey.create({ data: { name, role: input.role, hash: hashSecret(secret) } });
  return { apiKey, secret };
}

/** Revokes a key; the last active ADMIN key cannot be revoked, so nobody is locked out. */
export async function revokeApiKey(pool: SqlPool, id: string): Promise<void> {
  const keyId = assertId(id, 'id');
  await pool.transaction(async (tx) => {
    // Serialises concurrent revocations of admin keys, so two cannot each think the other remains.
    await tx.query(sql`SELECT pg_advisory_xact_lock(72617002)`);
    const [key] = await tx.query<{ role: string; revokedAt: Date | null; activeAdmins: number }>(sql`
      SELECT role, "revokedAt", (SELECT count(*)::int FROM "ApiKey" WHERE role = 'ADMIN' AND "revokedAt" IS NULL) AS "activeAdmins"
      FROM "ApiKey" WHERE id = ${keyId}::uuid`);
    if (!key) throw notFound('API key');
    if (key.revokedAt) throw conflict('This API key is already revoked');
    if (key.role === 'ADMIN' && key.activeAdmins <= 1) throw conflict('This is the last ADMIN key; create another before revoking it');
    await tx.execute(sql`UPDATE "ApiKey" SET "revokedAt" = now() WHERE id = ${keyId}::uuid`);
    await publish(tx, { topic: 'credentialsChanged', apiKeyId: keyId });
  });
}
