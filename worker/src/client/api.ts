import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL error the server answered, with its `extensions.code` (see the README's error table). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The server could not be reached, or answered without a GraphQL result (a proxy's 502, a reset). */
export class ConnectionError extends Error {}

/**
 * Codes that may pass if the call is sent again (the README's error table): the database is away
 * (UNAVAILABLE), the caller is over its rate (RATE_LIMITED), or the server failed unexpectedly
 * (INTERNAL, which a passing fault also gives).
 */
const TRANSIENT_CODES = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

/** Whether a failed call is worth sending again: a ConnectionError, or an ApiError with a transient code. */
export function isTransient(error: unknown): error is ConnectionError | ApiError {
  return error instanceof ConnectionError || (error instanceof ApiError && TRANSIENT_CODES.has(error.code));
}

/** Runs one query or mutation: resolves with its `data`, rejects with ApiError or ConnectionError. */
export interface GraphqlClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

interface GraphqlResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The first error of a result as an ApiError, or the result's data. */
function dataOf<T>(result: GraphqlResult): T {
  const [error] = result.errors ?? [];
  if (error) {
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'UNKNOWN';
    throw new ApiError(code, error.message, error.extensions);
  }
  return result.data as T;
}

/**
 * GraphQL over HTTP at `<serverUrl>/graphql`, with `Authorization: Bearer <credential()>` (asked
 * for on every request, so a rotated token is used at once).
 */
export function httpClient(serverUrl: string, credential: () => string): GraphqlClient {
  return {
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${serverUrl}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            authorization: `Bearer ${credential()}`,
          },
          body: JSON.stringify({ query, variables }),
        });
      } catch (error) {
        throw new ConnectionError(
          `Cannot reach ${serverUrl}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
        );
      }
      let result: GraphqlResult;
      try {
        result = (await response.json()) as GraphqlResult;
      } catch {
        throw new ConnectionError(`${serverUrl} answered HTTP ${response.status} without a GraphQL result`);
      }
      return dataOf<T>(result);
    },
  };
}

/** Reconnection delays: exponential from 0.5 s to 30 s, each with full jitter (AWS' "full jitter"). */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(Math.random() * ceiling);
}

export interface SocketOptions {
  /** Called on every (re)connection, after the server acknowledged it. */
  onConnected?(): void;
  /** Called when the socket closes, with its close code (or undefined for a network error). */
  onClosed?(code: number | undefined, reason: string): void;
}

/**
 * A graphql-ws client on `ws://…/graphql` (wss for https) that connects at once and reconnects for
 * ever with backoff and jitter; `credential()` is asked for on each connection, so a rotated token
 * is used after a reconnect. Subscriptions are resumed by graphql-ws after a reconnect.
 */
export function socketClient(serverUrl: string, credential: () => string, options: SocketOptions = {}): Client {
  return createClient({
    url: `${serverUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: `Bearer ${credential()}` }),
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoffMs(retries))),
    on: {
      connected: () => options.onConnected?.(),
      closed: (event) => {
        const close = event as { code?: number; reason?: string };
        options.onClosed?.(close.code, close.reason ?? '');
      },
    },
  });
}

/** A query or mutation over a graphql-ws client as a GraphqlClient (errors as for HTTP). */
export function overSocket(client: Client): GraphqlClient {
  return {
    request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        let result: GraphqlResult | undefined;
        client.subscribe(
          { query, variables },
          {
            next: (value) => (result = value as GraphqlResult),
            error: (error) => {
              if (Array.isArray(error)) return reject(dataOfErrors(error as GraphqlResult['errors']));
              const close = error as { code?: number; reason?: string; message?: string };
              reject(
                new ConnectionError(
                  `The socket closed (${close.code ?? close.message ?? 'error'}${close.reason ? ` ${close.reason}` : ''})`,
                ),
              );
            },
            complete: () => {
              try {
                resolve(dataOf<T>(result ?? {}));
              } catch (error) {
                reject(error);
              }
            },
          },
        );
      });
    },
  };
}

function dataOfErrors(errors: GraphqlResult['errors']): ApiError {
  try {
    dataOf({ errors });
  } catch (error) {
    return error as ApiError;
  }
  return new ApiError('UNKNOWN', 'The operation failed');
}
