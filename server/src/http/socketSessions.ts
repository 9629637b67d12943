import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { authenticate } from '../auth/authenticate.ts';
import { actorOf, type AuthenticatedPrincipal, type Principal } from '../auth/principal.ts';
import type { Database } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';

/** graphql-ws close codes: 4403 forbidden (the credential no longer holds), 1013 try again later. */
const CLOSE_FORBIDDEN = 4403;
const CLOSE_TRY_AGAIN_LATER = 1013;
/** A moment's delay lets the events that explain the end (a worker's REVOKE) reach the socket before it closes. */
const END_CLOSE_DELAY_MS = 200;
/** setTimeout's longest delay; a token living longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One authenticated socket: the credential it presented and whom it stands for now. */
export interface SocketSession {
  socket: WebSocket;
  /** The `Authorization` value from connectionParams, verified again when its credential changes. */
  authorization: string;
  principal: AuthenticatedPrincipal;
  /** Why the session ended (its credential was revoked, replaced or expired): it takes no more operations. */
  ended?: string;
  /** Counts re-verifications, so only the latest one's outcome applies. */
  checks: number;
  expiryTimer?: NodeJS.Timeout;
}

/**
 * The authenticated sockets of this process by credential owner (an API key or a worker). A
 * socket authenticates once; after that its credential is not looked up per operation. Instead,
 * every change of a credential (revocation, re-registration, token rotation, unregistration) is a
 * `credentialsChanged` event on the bus, reaching every server process: the owner's sockets verify
 * their credential again, and a socket whose credential no longer holds refuses new operations at
 * once and closes with 4403. A worker token's socket also closes when the token expires (for a
 * token rotated away: at the end of its grace), so a socket never outlives its credential.
 */
export class SocketSessions {
  readonly #byOwner = new Map<string, Set<SocketSession>>();
  #changes = 0;

  /** Listens to `bus` for credential changes; verifies credentials again on `db`. */
  constructor(
    bus: EventBus,
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    bus.target.addEventListener('credentialsChanged', (event) => {
      const { workerId, apiKeyId } = (event as CustomEvent<{ workerId?: string; apiKeyId?: string }>).detail;
      this.#changes += 1;
      const owner = workerId ? `worker:${workerId}` : `apiKey:${apiKeyId}`;
      for (const session of this.#byOwner.get(owner) ?? []) void this.#verifyAgain(session);
    });
    // Events may have been missed while the bus reconnected: every session verifies again.
    bus.target.addEventListener('resync', () => {
      this.#changes += 1;
      for (const sessions of this.#byOwner.values()) for (const session of sessions) void this.#verifyAgain(session);
    });
  }

  /** A mark to take before authenticating a socket, for add(). */
  get changes(): number {
    return this.#changes;
  }

  /**
   * Tracks an authenticated socket until remove(). `changesBefore` is `changes` from before its
   * credential was verified: a credential change since then may have been missed by that look-up,
   * so the socket verifies again.
   */
  add(session: SocketSession, changesBefore: number): void {
    const owner = actorOf(session.principal);
    const sessions = this.#byOwner.get(owner) ?? new Set();
    sessions.add(session);
    this.#byOwner.set(owner, sessions);
    this.#watchExpiry(session);
    if (changesBefore !== this.#changes) void this.#verifyAgain(session);
  }

  remove(session: SocketSession): void {
    clearTimeout(session.expiryTimer);
    const owner = actorOf(session.principal);
    const sessions = this.#byOwner.get(owner);
    sessions?.delete(session);
    if (sessions?.size === 0) this.#byOwner.delete(owner);
  }

  /** Why the session may not start another operation, or undefined when it may. */
  refusal(session: SocketSession): string | undefined {
    if (!session.ended && tokenExpired(session.principal)) this.#end(session, expiredMessage);
    return session.ended;
  }

  async #verifyAgain(session: SocketSession): Promise<void> {
    if (session.ended) return;
    const check = ++session.checks;
    try {
      // Not from the credential cache: this is the look-up that replaces per-operation ones.
      const principal = await authenticate(this.db, session.authorization);
      if (check !== session.checks || session.ended || principal.kind === 'anonymous') return;
      session.principal = principal;
      this.#watchExpiry(session);
    } catch (error) {
      if (check !== session.checks || session.ended) return;
      if (error instanceof AppError) return this.#end(session, error.message);
      // The credential could not be checked (e.g. the database is away): the client reconnects
      // and authenticates afresh, rather than keep a socket whose credential may have ended.
      this.log.warn({ err: error }, 'could not verify a socket’s credential again; closing it');
      session.ended = 'The credential could not be verified; reconnect';
      session.socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later');
    }
  }

  #watchExpiry(session: SocketSession): void {
    clearTimeout(session.expiryTimer);
    const { principal } = session;
    if (principal.kind !== 'worker') return;
    const remainingMs = principal.tokenExpiresAt.getTime() - Date.now();
    session.expiryTimer = setTimeout(
      () => (tokenExpired(session.principal) ? this.#end(session, expiredMessage) : this.#watchExpiry(session)),
      Math.min(Math.max(remainingMs, 0), MAX_TIMER_MS),
    ).unref();
  }

  #end(session: SocketSession, reason: string): void {
    session.ended = reason;
    clearTimeout(session.expiryTimer);
    setTimeout(() => session.socket.close(CLOSE_FORBIDDEN, reason), END_CLOSE_DELAY_MS).unref();
  }
}

const expiredMessage = 'The worker access token has expired; register again';

function tokenExpired(principal: Principal): boolean {
  return principal.kind === 'worker' && principal.tokenExpiresAt.getTime() <= Date.now();
}
