import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.ts';

export interface InstanceSecrets {
  signingSecret: string;
  encryptionKey: string;
}

/**
 * The URL-signing secret and the certificate encryption key. Production must configure both
 * (config refuses to start otherwise); development generates them once and keeps them under the
 * data directory, so signed URLs and encrypted certificates survive a restart.
 */
export async function loadInstanceSecrets(config: Config): Promise<InstanceSecrets> {
  if (config.signingSecret && config.encryptionKey) return { signingSecret: config.signingSecret, encryptionKey: config.encryptionKey };
  const file = path.resolve(config.dataDir, 'instance-secrets.json');
  let stored: Partial<InstanceSecrets> = {};
  if (existsSync(file)) stored = JSON.parse(await readFile(file, 'utf8')) as Partial<InstanceSecrets>;
  const secrets = {
    signingSecret: config.signingSecret ?? stored.signingSecret ?? randomBytes(32).toString('base64url'),
    encryptionKey: config.encryptionKey ?? stored.encryptionKey ?? randomBytes(32).toString('base64url'),
  };
  if (secrets.signingSecret !== stored.signingSecret || secrets.encryptionKey !== stored.encryptionKey) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}
