import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/client.ts';
import { hashSecret, newApiKeySecret } from './secrets.ts';

/** Any fixed number, distinct from the migrations' lock (db/migrate.ts). */
const ADMIN_BOOTSTRAP_LOCK_KEY = 72_617_002;

export interface BootstrapResult {
  /** The admin secret, only when this start generated it (to show once). */
  generatedSecret?: string;
  secretFile?: string;
}

/**
 * On first start with no admin key, take one from FREE_AGENT_ADMIN_KEY or generate one. A
 * generated secret is shown once and, for the embedded default, written under the data directory.
 */
export async function ensureAdminKey(
  db: Database,
  options: { configuredKey?: string; dataDir: string; writeSecretFile: boolean },
): Promise<BootstrapResult> {
  if (options.configuredKey) {
    const hash = hashSecret(options.configuredKey);
    // INSERT … ON CONFLICT DO NOTHING: servers starting together on one database all succeed
    // (an upsert is a read, then a write, and the slower one failed on the unique hash).
    await db.apiKey.createMany({ data: [{ name: 'admin (FREE_AGENT_ADMIN_KEY)', role: 'ADMIN', hash }], skipDuplicates: true });
    return {};
  }
  const secret = newApiKeySecret();
  const generated = await db.$transaction(async (tx) => {
    // Servers starting together on a fresh database take turns, so only the first makes a key.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_BOOTSTRAP_LOCK_KEY}::bigint)`;
    if ((await tx.apiKey.count({ where: { role: 'ADMIN', revokedAt: null } })) > 0) return false;
    await tx.apiKey.create({ data: { name: 'admin (generated)', role: 'ADMIN', hash: hashSecret(secret) } });
    return true;
  });
  if (!generated) return {};
  if (!options.writeSecretFile) return { generatedSecret: secret };
  const secretFile = path.resolve(options.dataDir, 'admin-key');
  await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  return { generatedSecret: secret, secretFile };
}
