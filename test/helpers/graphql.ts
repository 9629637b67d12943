import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { GraphQLError, GraphQLResult } from './httpClient.ts';

// GraphQL over HTTP lives in httpClient.ts (the bench and scripts use it too); tests import it from
// here, beside the assertions and the graphql-ws helpers.
export { graphql, type GraphQLError, type GraphQLResult } from './httpClient.ts';

/** Asserts the first error carries `extensions.code === code`; returns its message. */
export function expectCode(result: { errors?: GraphQLError[] }, code: string): string {
  const first = result.errors?.[0];
  expect(first?.extensions?.code, `expected error code ${code}, got ${JSON.stringify(result)}`).toBe(code);
  return first!.message;
}

/** Asserts there are no errors and returns `data`. */
export function expectData<Result extends { data?: unknown; errors?: GraphQLError[] }>(result: Result): NonNullable<Result['data']> {
  expect(result.errors, `unexpected errors: ${JSON.stringify(result.errors)}`).toBeUndefined();
  expect(result.data).toBeDefined();
  return result.data as NonNullable<Result['data']>;
}

/** Runs one query or mutation on a graphql-ws socket; the result as graphql() gives it (status 0). */
export function socketRequest<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>> {
  return new Promise((resolve, reject) => {
    let result: GraphQLResult<T> | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (event) => {
          result = { data: event.data ?? undefined, errors: event.errors as GraphQLError[] | undefined, status: 0 };
        },
        // An operation the server refused before running it (e.g. validation) ends with its errors.
        error: (error) =>
          Array.isArray(error) ? resolve({ errors: error as GraphQLError[], status: 0 }) : reject(new Error(describeError(error))),
        complete: () => (result ? resolve(result) : reject(new Error('the operation completed without a result'))),
      },
    );
  });
}

const openClients = new Set<Client>();

/**
 * A graphql-ws client that sends `authorization: Bearer <token>` in connectionParams. It does
 * not retry, so a refused connection shows up as an error on the subscription.
 */
export function wsClient(wsUrl: string, token?: string): Client {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
  });
  openClients.add(client);
  const dispose = client.dispose.bind(client);
  client.dispose = () => {
    openClients.delete(client);
    return dispose();
  };
  return client;
}

/** Disposes every client made by wsClient() and not disposed yet. Returns how many. */
export async function disposeAllWsClients(): Promise<number> {
  const clients = [...openClients];
  await Promise.all(clients.map((client) => client.dispose()));
  return clients.length;
}

export interface Subscription<T> {
  /** Every event received so far (including ones already taken by next()). */
  events: FormattedExecutionResult<T, unknown>[];
  /** The next event not taken yet; rejects on timeout, on a subscription error or on completion. */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<T, unknown>>;
  /** Ends the subscription (the client stays open). */
  close(): void;
}

/**
 * Subscribes and buffers events. graphql-ws does not acknowledge a subscription, so a test that
 * triggers an event right after subscribing must allow for the server not having registered it
 * yet (e.g. retry the trigger, or first wait for an event the server sends on its own).
 */
export function subscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const events: FormattedExecutionResult<T, unknown>[] = [];
  let taken = 0;
  let ended: Error | undefined;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (event) => {
        events.push(event);
        wake();
      },
      error: (error) => {
        ended = new Error(`subscription failed: ${describeError(error)}`);
        wake();
      },
      complete: () => {
        ended ??= new Error('subscription completed');
        wake();
      },
    },
  );
  return {
    events,
    next(timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const check = () => {
          if (taken < events.length) {
            done();
            resolve(events[taken++]!);
          } else if (ended) {
            done();
            reject(ended);
          }
        };
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        timer = setTimeout(() => {
          done();
          reject(new Error(`no subscription event within ${timeoutMs} ms (received ${events.length}) for ${query.trim()}`));
        }, timeoutMs);
        check();
      });
    },
    close() {
      ended ??= new Error('subscription closed');
      unsubscribe();
      wake();
    },
  };
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error) {
    const { code, reason } = error as { code: number; reason?: string };
    return `socket closed with ${code}${reason ? ` ${reason}` : ''}`;
  }
  return String(error);
}
