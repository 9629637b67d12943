import type { ApiKeyRole } from '../generated/prisma/enums.ts';

/** Who is calling: an API key holder, a worker with its access token, or nobody. */
export type Principal =
  | { kind: 'apiKey'; apiKeyId: string; name: string; role: ApiKeyRole }
  | { kind: 'worker'; workerId: string; tokenHash: string; tokenExpiresAt: Date; usingPreviousToken: boolean }
  | { kind: 'anonymous' };

/** A caller with a credential: an API key holder or a worker. */
export type AuthenticatedPrincipal = Exclude<Principal, { kind: 'anonymous' }>;
/** An API key holder, with the key's role. */
export type ApiKeyPrincipal = Extract<Principal, { kind: 'apiKey' }>;
/** A worker, with the token it presented (current or, during its grace, the previous one). */
export type WorkerPrincipal = Extract<Principal, { kind: 'worker' }>;

export const anonymous: Principal = { kind: 'anonymous' };

/**
 * What an API key may do. `read`: builds, logs, telemetry, workers, statistics and their
 * subscriptions; `readAdmin`: what only an admin's console reads besides (the API key list, any
 * worker's instructions); `submit`: upload sources and certificates, submit, cancel and retry builds;
 * `registerWorkers`; `administer`: everything else that changes something (keys, drain, resume,
 * revoke).
 */
export type Capability = 'read' | 'readAdmin' | 'submit' | 'registerWorkers' | 'administer';

/**
 * The one table of what each role may do; the schema's auth scopes (schema/builder.ts) and the
 * domain's checks read it. VIEWER reads what ADMIN reads and changes nothing.
 */
const ROLE_CAPABILITIES: Record<ApiKeyRole, readonly Capability[]> = {
  ADMIN: ['read', 'readAdmin', 'submit', 'registerWorkers', 'administer'],
  SUBMITTER: ['read', 'submit'],
  VIEWER: ['read', 'readAdmin'],
  WORKER: ['registerWorkers'],
};

/** Whether the caller holds an API key whose role grants `capability`. */
export const may = (principal: Principal, capability: Capability): boolean =>
  principal.kind === 'apiKey' && ROLE_CAPABILITIES[principal.role].includes(capability);

/**
 * Whether the caller is the worker `build` was given to: the one running it, or that ran its last
 * attempt. Such a worker reads the build, its log and telemetry without being a reader.
 */
export const isBuildWorker = (principal: Principal, build: { workerId: string | null }): boolean =>
  principal.kind === 'worker' && build.workerId === principal.workerId;

/** The actor recorded in a build's timeline. */
export function actorOf(principal: Principal): string {
  if (principal.kind === 'apiKey') return `apiKey:${principal.apiKeyId}`;
  if (principal.kind === 'worker') return `worker:${principal.workerId}`;
  return 'system';
}
