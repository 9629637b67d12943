import { createClient as createWsClient } from 'graphql-ws';
import {
  Client,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type Exchange,
  type ExecutionResult,
  type Operation,
} from 'urql';
import { pipe, tap } from 'wonka';
import { consoleCacheExchange } from './cache.ts';
import { createConnectionTracker } from './connectionState.ts';
import { errorCode } from './errors.ts';
import { liveUpdatesPaused } from './liveUpdates.ts';

/** graphql-ws close code the server uses when the socket's credential is unknown or ended. */
const CLOSE_FORBIDDEN = 4403;
/** Ping the server this often (ms); a pong missing for PONG_TIMEOUT_MS closes and reconnects. */
const PING_INTERVAL_MS = 15_000;
const PONG_TIMEOUT_MS = 5_000;
/** Backoff between reconnection attempts: doubling from 0.5 s up to this (ms), plus up to 1 s jitter. */
const MAX_RETRY_WAIT_MS = 10_000;

export interface ConsoleClient {
  client: Client;
  /** Closes the socket and stops every timer and listener of this client. */
  dispose(): void;
}

export interface ConsoleClientOptions {
  /** The API key every request and the socket present. */
  key: string;
  /** Called once when the server refuses the key (UNAUTHENTICATED, or the socket closed with 4403). */
  onRefused(reason: string): void;
}

/**
 * The console's one GraphQL client: queries and mutations over HTTP with the key in the
 * `Authorization` header; subscriptions over graphql-ws (the key in connectionParams), which
 * reconnects for ever with capped backoff. After a reconnection, and when live updates resume,
 * every active query fetches again, so what was missed meanwhile shows. While live updates are
 * paused, subscriptions are held (unsubscribed on the server) and restarted on resume.
 */
export function createConsoleClient({ key, onRefused }: ConsoleClientOptions): ConsoleClient {
  const authorization = `Bearer ${key}`;
  const tracker = createConnectionTracker();
  const activeQueries = new Map<number, Operation>();
  let disposed = false;
  let refused = false;
  const refuse = (reason: string) => {
    if (disposed || refused) return;
    refused = true;
    onRefused(reason);
  };

  let socket: WebSocket | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let connectedBefore = false;
  const ws = createWsClient({
    url: websocketUrl(),
    connectionParams: { authorization },
    lazy: false,
    retryAttempts: Infinity,
    retryWait: waitBeforeRetry,
    shouldRetry: (event) => !isForbidden(event),
    keepAlive: PING_INTERVAL_MS,
    onNonLazyError: (event) => {
      if (isForbidden(event)) refuse(socketRefusal(event));
    },
    on: {
      connected: (connectedSocket) => {
        socket = connectedSocket as WebSocket;
        tracker.connected();
        if (connectedBefore) resync();
        connectedBefore = true;
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        if (disposed) return;
        tracker.closed();
        if (isForbidden(event)) refuse(socketRefusal(event));
      },
      // A socket can die without a close (a laptop sleeping, a NAT forgetting it): a ping left
      // unanswered closes it, and graphql-ws reconnects.
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          if (socket?.readyState === WebSocket.OPEN) socket.close(4408, 'Ping timed out');
        }, PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });

  const client = new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    fetchOptions: { headers: { authorization } },
    exchanges: [
      mapExchange({
        onError(error) {
          if (errorCode(error) === 'UNAUTHENTICATED') {
            refuse(`The server refused this key: ${error.graphQLErrors[0]?.message ?? 'unauthenticated'}.`);
          }
        },
      }),
      trackActiveQueries(activeQueries),
      consoleCacheExchange(),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: subscribeUnlessPaused(ws, { ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });

  /** Every active query fetches again from the server. */
  function resync() {
    for (const operation of activeQueries.values()) {
      client.reexecuteOperation(makeOperation('query', operation, { ...operation.context, requestPolicy: 'network-only' }));
    }
  }

  const stopFollowingPause = liveUpdatesPaused.subscribe(() => {
    if (!liveUpdatesPaused.get()) resync();
  });

  return {
    client,
    dispose() {
      disposed = true;
      clearTimeout(pongTimer);
      stopFollowingPause();
      tracker.dispose();
      void ws.dispose();
    },
  };
}

/** An exchange that keeps the query operations currently in use, for resync. */
function trackActiveQueries(active: Map<number, Operation>): Exchange {
  return ({ forward }) =>
    (operations$) =>
      forward(
        pipe(
          operations$,
          tap((operation) => {
            if (operation.kind === 'query') active.set(operation.key, operation);
            else if (operation.kind === 'teardown') active.delete(operation.key);
          }),
        ),
      );
}

interface Sink {
  next(value: ExecutionResult): void;
  error(error: unknown): void;
  complete(): void;
}

type WsClient = ReturnType<typeof createWsClient>;

/**
 * Subscribes over `ws` while live updates are not paused: pausing ends the subscription on the
 * server (without completing it for urql), resuming starts it again. Returns the unsubscribe
 * function.
 */
function subscribeUnlessPaused(ws: WsClient, payload: { query: string; variables?: Record<string, unknown> }, sink: Sink) {
  let release: (() => void) | undefined;
  const start = () => {
    let released = false;
    const dispose = ws.subscribe<ExecutionResult['data']>(payload, {
      next: (value) => sink.next(value as ExecutionResult),
      error: (error) => {
        if (!released) sink.error(error);
      },
      complete: () => {
        if (!released) sink.complete();
      },
    });
    release = () => {
      released = true;
      dispose();
    };
  };
  const follow = () => {
    if (liveUpdatesPaused.get()) {
      release?.();
      release = undefined;
    } else if (!release) {
      start();
    }
  };
  const stopFollowing = liveUpdatesPaused.subscribe(follow);
  follow();
  return () => {
    stopFollowing();
    release?.();
  };
}

function websocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

function isForbidden(event: unknown): event is CloseEvent {
  return typeof event === 'object' && event !== null && (event as CloseEvent).code === CLOSE_FORBIDDEN;
}

/** The close reason when the server gave one of its own; graphql-ws' generic one says nothing. */
function socketRefusal(event: CloseEvent): string {
  const reason = event.reason && event.reason !== 'Forbidden' ? event.reason : 'the key is unknown or was revoked';
  return `The server refused this key: ${reason}.`;
}

/**
 * Waits before reconnection attempt `retries` (0 for the first): doubling from 0.5 s up to
 * MAX_RETRY_WAIT_MS plus jitter, so consoles do not all return at once after a restart; the
 * browser coming back online or the tab becoming visible cuts the wait short.
 */
function waitBeforeRetry(retries: number): Promise<void> {
  const waitMs = Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) + Math.random() * 1000;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      document.removeEventListener('visibilitychange', onVisible);
      resolve();
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') done();
    };
    const timer = setTimeout(done, waitMs);
    window.addEventListener('online', done);
    document.addEventListener('visibilitychange', onVisible);
  });
}
