import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys are `fak_<secret>` and found by the hash of the whole key (an admin key given in
 * FREE_AGENT_ADMIN_KEY may have any form). Worker tokens are `fwt_<worker id, hex>_<secret>`:
 * the id finds the worker, whose current and previous token hashes are compared in constant
 * time. Secrets are 256 random bits, so a single SHA-256 is a sound hash.
 */
export const API_KEY_PREFIX = 'fak_';
export const WORKER_TOKEN_PREFIX = 'fwt_';

const randomSecret = () => randomBytes(32).toString('base64url');

export const newApiKeySecret = () => `${API_KEY_PREFIX}${randomSecret()}`;

export const newWorkerToken = (workerId: string) => `${WORKER_TOKEN_PREFIX}${workerId.replaceAll('-', '')}_${randomSecret()}`;

export function hashSecret(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

export function matchesHash(credential: string, storedHash: string | null | undefined): boolean {
  if (!storedHash) return false;
  const actual = Buffer.from(hashSecret(credential), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The worker id inside a worker token, or null when the credential is not one. */
export function workerIdOfToken(credential: string): string | null {
  const match = /^fwt_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(credential);
  if (!match) return null;
  const hex = match[1];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
