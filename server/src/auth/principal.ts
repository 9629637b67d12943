import type { ApiKeyRole } from '../generated/prisma/enums.ts';

/** Who is calling: an API key holder, a worker with its access token, or nobody. */
export type Principal =
  | { kind: 'apiKey'; apiKeyId: string; name: string; role: ApiKeyRole }
  | { kind: 'worker'; workerId: string; tokenHash: string; tokenExpiresAt: Date; usingPreviousToken: boolean }
  | { kind: 'anonymous' };

export const anonymous: Principal = { kind: 'anonymous' };

export const isAdmin = (principal: Principal) => principal.kind === 'apiKey' && principal.role === 'ADMIN';

/** ADMIN and SUBMITTER keys read builds and workers and submit, cancel and retry builds. */
export const isReader = (principal: Principal) =>
  principal.kind === 'apiKey' && (principal.role === 'ADMIN' || principal.role === 'SUBMITTER');

/** The actor recorded in a build's timeline. */
export function actorOf(principal: Principal): string {
  if (principal.kind === 'apiKey') return `apiKey:${principal.apiKeyId}`;
  if (principal.kind === 'worker') return `worker:${principal.workerId}`;
  return 'system';
}
