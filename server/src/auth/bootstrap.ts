import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Tx } from '../db/client.ts';
import { hashSecret, newApiKeySecret } from './secrets.ts';

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
  db: Tx,
  options: { configuredKey?: string; dataDir: string; writeSecretFile: boolean },
): Promise<BootstrapResult> {
  if (options.configuredKey) {
    const hash = hashSecret(options.configuredKey);
    // INSERT … ON CONFLICT DO NOTHING: servers starting together on one database all succeed
    // (an upsert is a read, then a write, and the slower one failed on the unique hash).
    await db.apiKey.createMany({ data: [{ name: 'admin (FREE_AGENT_ADMIN_KEY)', role: 'ADMIN', hash }], skipDuplicates: true });
    return {};
  }
  const admins = await db.apiKey.count({ where: { role: 'ADMIN', revokedAt: null } });
  if (admins > 0) return {};
  const secret = newApiKeySecret();
  await db.apiKey.create({ data: { name: 'admin (generated)', role: 'ADMIN', hash: hashSecret(secret) } });
  if (!options.writeSecretFile) return { generatedSecret: secret };
  const secretFile = path.resolve(options.dataDir, 'admin-key');
  await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  return { generatedSecret: secret, secretFile };
}
