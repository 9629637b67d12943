import type { Logger } from 'pino';
import type { ApiKeyPrincipal, AuthenticatedPrincipal, Principal, WorkerPrincipal } from '../auth/principal.ts';
import type { Config } from '../config/config.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import type { UrlSigner } from '../storage/signedUrl.ts';
import type { EventBus } from '../events/bus.ts';
import type { ClaimBatcher } from '../queue/claimBatcher.ts';
import type { Db } from '../db/database.ts';
import type { PendingEstimate } from '../queue/pendingEstimate.ts';
import type { WebhookServices } from '../webhooks/webhooks.ts';

/** Process-wide services the resolvers hand to domain functions. */
export interface Services {
  config: Config;
  storage: ObjectStorage;
  signer: UrlSigner;
  log: Logger;
  /** The database: Prisma reads, our SQL, group commit (each member's contract is in db/database.ts). */
  db: Db;
  bus: EventBus;
  claims: ClaimBatcher;
  /** How full the pending queue is, for submits' bound check. */
  pending: PendingEstimate;
  /** Webhook secrets' sealer and the address policy their URLs are checked against. */
  webhooks: WebhookServices;
}

/** What every resolver sees: who is calling, and the services. */
export interface Context {
  principal: Principal;
  services: Services;
}

/**
 * The context of a field once its auth scope admitted the caller (builder.ts, `AuthContexts`):
 * resolvers under `t.withAuth({ worker: true })` get the worker, under a role's scope the key.
 */
export type CallerContext = Context & { principal: AuthenticatedPrincipal };
export type ApiKeyContext = Context & { principal: ApiKeyPrincipal };
export type WorkerContext = Context & { principal: WorkerPrincipal };
