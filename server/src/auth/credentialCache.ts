import type { AuthenticatedPrincipal } from './principal.ts';

interface Entry {
  principal: AuthenticatedPrincipal;
  cachedUntil: number;
}

const TTL_MS = 10_000;
const MAX_ENTRIES = 20_000;

/**
 * Recently verified credentials, by the hash of the credential, so a busy worker's every
 * request does not look its token up again. Entries live 10 s; revocation, re-registration and
 * token rotation evict them on every process through the event bus, and a bus reconnect clears
 * them all (events may have been missed meanwhile).
 */
export class CredentialCache {
  #entries = new Map<string, Entry>();

  get(credentialHash: string): AuthenticatedPrincipal | undefined {
    const entry = this.#entries.get(credentialHash);
    if (!entry) return undefined;
    const now = Date.now();
    const tokenExpired = entry.principal.kind === 'worker' && entry.principal.tokenExpiresAt.getTime() <= now;
    if (entry.cachedUntil <= now || tokenExpired) {
      this.#entries.delete(credentialHash);
      return undefined;
    }
    return entry.principal;
  }

  set(credentialHash: string, principal: AuthenticatedPrincipal): void {
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(credentialHash, { principal, cachedUntil: Date.now() + TTL_MS });
  }

  evict(owner: { workerId?: string; apiKeyId?: string }): void {
    for (const [hash, { principal }] of this.#entries) {
      const matches =
        (principal.kind === 'worker' && principal.workerId === owner.workerId) ||
        (principal.kind === 'apiKey' && principal.apiKeyId === owner.apiKeyId);
      if (matches) this.#entries.delete(hash);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
