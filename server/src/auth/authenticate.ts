import type { Tx } from '../db/client.ts';
import { unauthenticated } from '../errors.ts';
import type { CredentialCache } from './credentialCache.ts';
import { anonymous, type ApiKeyPrincipal, type Principal, type WorkerPrincipal } from './principal.ts';
import { hashSecret, matchesHash, WORKER_TOKEN_PREFIX, workerIdOfToken } from './secrets.ts';

// lastUsedAt is a hint for admins, not an audit log: write it at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Turns an `Authorization` header value into a principal; a bad credential is an error. With a
 * cache, a credential verified in the last seconds is not looked up again.
 */
export async function authenticate(db: Tx, authorization: string | null | undefined, cache?: CredentialCache): Promise<Principal> {
  if (!authorization) return anonymous;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <secret>"');
  const credential = match[1];
  const credentialHash = hashSecret(credential);
  const cached = cache?.get(credentialHash);
  if (cached) return cached;
  const principal = await verify(db, credential);
  cache?.set(credentialHash, principal);
  return principal;
}

function verify(db: Tx, credential: string) {
  if (credential.startsWith(WORKER_TOKEN_PREFIX)) {
    const workerId = workerIdOfToken(credential);
    if (!workerId) throw unauthenticated('Invalid credentials');
    return authenticateWorker(db, credential, workerId);
  }
  return authenticateApiKey(db, credential);
}

async function authenticateApiKey(db: Tx, credential: string): Promise<ApiKeyPrincipal> {
  const key = await db.apiKey.findUnique({ where: { hash: hashSecret(credential) } });
  if (!key || !matchesHash(credential, key.hash)) throw unauthenticated('Invalid credentials');
  if (key.revokedAt) throw unauthenticated('This API key has been revoked');
  const now = Date.now();
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(now) } });
  }
  return { kind: 'apiKey', apiKeyId: key.id, name: key.name, role: key.role };
}

async function authenticateWorker(db: Tx, credential: string, id: string): Promise<WorkerPrincipal> {
  const worker = await db.worker.findUnique({
    where: { id },
    select: { tokenHash: true, tokenExpiresAt: true, previousTokenHash: true, previousTokenValidUntil: true, revokedAt: true },
  });
  if (!worker) throw unauthenticated('Invalid credentials');
  if (worker.revokedAt) throw unauthenticated('This worker has been revoked');
  const now = new Date();
  if (worker.tokenHash && worker.tokenExpiresAt && matchesHash(credential, worker.tokenHash)) {
    if (worker.tokenExpiresAt <= now) throw unauthenticated('The worker access token has expired; register again');
    return { kind: 'worker', workerId: id, tokenHash: worker.tokenHash, tokenExpiresAt: worker.tokenExpiresAt, usingPreviousToken: false };
  }
  // The token just rotated away stays valid for a short grace, so in-flight requests succeed.
  if (worker.previousTokenHash && worker.previousTokenValidUntil && matchesHash(credential, worker.previousTokenHash)) {
    if (worker.previousTokenValidUntil <= now) throw unauthenticated('The worker access token has expired; register again');
    return {
      kind: 'worker',
      workerId: id,
      tokenHash: worker.previousTokenHash,
      tokenExpiresAt: worker.previousTokenValidUntil,
      usingPreviousToken: true,
    };
  }
  throw unauthenticated('Invalid credentials');
}
