// graphql-ws clients for the benchmark: one socket per worker, authenticated through
// connectionParams exactly as the bundled agent and the console do.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type GraphQLError, operationError, requireData } from '../../test/helpers/httpClient.ts';
import type { Caller } from './api.ts';

export interface Socket {
  client: Client;
  /** Resolves once the server acknowledged the connection (connection_ack). */
  connected: Promise<void>;
  /** Subscribes; `onNext` gets each payload's data, `onEnd` an error or completion. */
  subscribe<T>(query: string, onNext: (data: T) => void, onEnd?: (error?: unknown) => void): () => void;
  /** Runs a query or mutation on this socket, as a worker agent sends its operations. */
  request: Caller;
  close(): Promise<void>;
}

/** Opens a socket eagerly (lazy: false) so `connected` tells when the server accepted it. */
export function openSocket(wsUrl: string, token: string): Socket {
  let resolveConnected!: () => void;
  let rejectConnected!: (error: unknown) => void;
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  connected.catch(() => undefined);
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    // The server pings; answering is enough.
    keepAlive: 0,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => rejectConnected(new Error(`socket closed before connection_ack: ${describeClose(event)}`)),
      error: (error) => rejectConnected(error),
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    connected,
    subscribe<T>(query: string, onNext: (data: T) => void, onEnd?: (error?: unknown) => void) {
      return client.subscribe<T>(
        { query },
        {
          next: (result) => {
            if (result.data) onNext(result.data as T);
            else if (result.errors) onEnd?.(result.errors);
          },
          error: (error) => onEnd?.(error),
          complete: () => onEnd?.(),
        },
      );
    },
    request<T>(query: string, variables: object = {}) {
      return new Promise<T>((resolve, reject) => {
        let data: T | undefined;
        client.subscribe<T>(
          { query, variables: variables as Record<string, unknown> },
          {
            next: (result) => {
              try {
                data = requireData(query, {
                  data: (result.data ?? undefined) as T | undefined,
                  errors: result.errors as GraphQLError[],
                  status: 0,
                });
              } catch (error) {
                reject(error);
              }
            },
            error: (error) => {
              // An operation the server refused arrives as its errors; a closed socket as the close event.
              if (Array.isArray(error)) reject(operationError(query, { errors: error as GraphQLError[], status: 0 }));
              else reject(error instanceof Error ? error : new Error(`socket operation failed: ${describeClose(error)}`));
            },
            complete: () => (data === undefined ? reject(new Error('socket operation completed without data')) : resolve(data)),
          },
        );
      });
    },
    close: () => client.dispose() as Promise<void>,
  };
}

function describeClose(event: unknown): string {
  if (event && typeof event === 'object' && 'code' in event) {
    const { code, reason } = event as { code: number; reason?: string };
    return `${code}${reason ? ` ${reason}` : ''}`;
  }
  return String(event);
}
