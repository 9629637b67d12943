import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { isConnectionLoss } from '../db/connectionLoss.ts';
import { unavailable } from '../errors.ts';
import { requestContext } from './requestContext.ts';
import { sendError } from './respond.ts';

/** Answers one request; a rejection is answered as UNAVAILABLE (database lost) or INTERNAL. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpServer {
  /** The listening server, which the WebSocket server shares. */
  server: Server;
  /** The port listened on (the one the system chose when asked for port 0). */
  port: number;
  /** From now on every answer closes its connection: a keep-alive client that never pauses (an agent streaming logs) would hold the server open for ever. */
  endKeepAlive(): void;
  /** Stops accepting connections, closes idle ones, and resolves once the requests in flight are answered. */
  close(): Promise<void>;
}

/** This server's base URL as seen from this machine: `http://HOST:PORT`, with localhost for 0.0.0.0. */
export function localUrl(host: string, port: number): string {
  return `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
}

/** The base of the URLs this server hands out (signed artifact URLs): FREE_AGENT_PUBLIC_URL, else `localUrl`. */
export function publicUrl(config: Pick<Config, 'publicUrl' | 'host'>, port: number): string {
  return config.publicUrl ?? localUrl(config.host, port);
}

/** Answers a request whose handler threw: UNAVAILABLE for a lost database, INTERNAL (logged) otherwise. */
function answerFailure(res: ServerResponse, error: unknown, requestId: string, log: Logger): void {
  if (res.headersSent) return void res.destroy();
  // A database outage is expected: the caller is told to retry, as GraphQL tells it.
  if (isConnectionLoss(error)) {
    log.warn({ err: error, requestId }, 'database unavailable');
    const refusal = unavailable();
    const { status, headers } = refusal.extensions.http as { status: number; headers: Record<string, string> };
    return sendError(res, status, 'UNAVAILABLE', refusal.message, headers);
  }
  log.error({ err: error, requestId }, 'request failed');
  sendError(res, 500, 'INTERNAL', `Internal error (request ${requestId})`);
}

/**
 * Listens on `host:port` and runs `handle` for each request, inside its request context: an id
 * (the caller's `x-request-id`, at most 100 characters, or a new one) echoed in the answer, and a
 * debug log line with status, duration and database operations when it is answered. Throws the
 * listen error (e.g. EADDRINUSE).
 */
export async function listenHttp(handle: RequestHandler, { host, port }: Pick<Config, 'host' | 'port'>, log: Logger): Promise<HttpServer> {
  let keepAlive = true;
  const server = createServer((req, res) => {
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    res.setHeader('x-request-id', requestId);
    if (!keepAlive) res.setHeader('connection', 'close');
    const state = { requestId, databaseOperations: 0 };
    const startedAt = performance.now();
    res.once('finish', () =>
      log.debug(
        {
          requestId,
          method: req.method,
          path: req.url?.split('?')[0],
          status: res.statusCode,
          durationMs: Math.round(performance.now() - startedAt),
          databaseOperations: state.databaseOperations,
        },
        'request',
      ),
    );
    requestContext.run(state, () => handle(req, res).catch((error) => answerFailure(res, error, requestId, log)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    endKeepAlive() {
      keepAlive = false;
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
  };
}
