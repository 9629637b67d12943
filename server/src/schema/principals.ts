import type { Principal } from '../auth/principal.ts';
import { forbidden } from '../errors.ts';
import type { Context } from './context.ts';

type WorkerPrincipal = Extract<Principal, { kind: 'worker' }>;
type ApiKeyPrincipal = Extract<Principal, { kind: 'apiKey' }>;

/** The calling worker; fields using it are also guarded by the `worker` scope. */
export function callingWorker(ctx: Context): WorkerPrincipal {
  if (ctx.principal.kind !== 'worker') throw forbidden('Only a worker access token can do this');
  return ctx.principal;
}

/** The calling API key holder; fields using it are also guarded by a key scope. */
export function callingApiKey(ctx: Context): ApiKeyPrincipal {
  if (ctx.principal.kind !== 'apiKey') throw forbidden('Only an API key can do this');
  return ctx.principal;
}
