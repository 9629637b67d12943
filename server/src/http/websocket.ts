import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, type execute as graphqlExecute, GraphQLError, type subscribe as graphqlSubscribe } from 'graphql';
import { handleProtocols, makeServer } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { database } from '../db/client.ts';
import type { EventBus } from '../events/bus.ts';
import type { YogaApp } from './graphql.ts';
import { serveGraphqlWs } from './graphqlWsTransport.ts';
import { requestContext } from './requestContext.ts';

/** graphql-ws close codes: 4403 forbidden (bad or revoked credentials), 1012 restarting (reconnect). */
const CLOSE_FORBIDDEN = 4403;
const CLOSE_RESTARTING = 1012;
const REVOKE_CLOSE_DELAY_MS = 200;

type Extra = { socket: WebSocket; principal?: Principal };
type Envelope = { execute: typeof graphqlExecute; subscribe: typeof graphqlSubscribe };

/** yoga keeps an HTTP status in `extensions.http` to answer with; a socket has none to set. */
function withoutHttpStatus(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _status, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/** Each operation on a socket is a request of its own: an id for its log lines and masked errors. */
function asRequest<T>(operation: () => T): T {
  return requestContext.run({ requestId: `ws-${randomUUID()}`, databaseOperations: 0 }, operation);
}

function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * GraphQL over graphql-ws on the HTTP server's /graphql, executed by the same yoga envelope
 * (schema, limits, error masking) as HTTP. The connection authenticates once from
 * `connectionParams.authorization`; a revoked worker's sockets are closed at once. Queries and
 * mutations run here too: a worker agent sends its whole protocol over its one socket, which
 * costs the server a fraction of HTTP requests.
 *
 * `pingSeconds`: how often each socket is pinged (graphql-ws' default is 12 s). Pings are most of
 * what idle sockets cost the server; the default 30 s still finds a dead peer within a minute and
 * stays under the 60 s idle timeout common to load balancers and NATs.
 */
export function attachWebSocketServer(server: Server, yoga: YogaApp, bus: EventBus, log: Logger, pingSeconds: number) {
  const wss = new WebSocketServer({ server, path: '/graphql', handleProtocols });
  const workerSockets = new Map<string, Set<WebSocket>>();
  let open = 0;

  bus.target.addEventListener('workerEvents', (event) => {
    const detail = (event as CustomEvent<{ workerId: string; kind: string }>).detail;
    if (detail.kind !== 'REVOKE') return;
    // A moment's delay lets the REVOKE event itself reach the worker before its sockets close.
    setTimeout(() => {
      for (const socket of workerSockets.get(detail.workerId) ?? []) socket.close(CLOSE_FORBIDDEN, 'Worker revoked');
    }, REVOKE_CLOSE_DELAY_MS).unref();
  });

  const graphqlWs = makeServer<Record<string, unknown> | undefined, Extra>({
    onConnect: async (ctx) => {
      try {
        const principal = await authenticate(database(), authorizationOf(ctx.connectionParams), bus.credentials);
        ctx.extra.principal = principal;
        open += 1;
        if (principal.kind === 'worker') {
          const sockets = workerSockets.get(principal.workerId) ?? new Set();
          sockets.add(ctx.extra.socket);
          workerSockets.set(principal.workerId, sockets);
        }
        return true;
      } catch {
        return false;
      }
    },
    onClose: (ctx) => {
      const principal = ctx.extra.principal;
      if (!principal) return;
      open -= 1;
      if (principal.kind === 'worker') {
        const sockets = workerSockets.get(principal.workerId);
        sockets?.delete(ctx.extra.socket);
        if (sockets?.size === 0) workerSockets.delete(principal.workerId);
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      // The upgrade request is not handed on as `request`: yoga would treat mutations as GETs.
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        principal: ctx.extra.principal,
        connectionParams: ctx.connectionParams,
      });
      const args: ExecutionArgs = {
        schema,
        operationName: payload.operationName,
        document: parse(payload.query),
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      return errors.length > 0 ? errors.map(withoutHttpStatus) : args;
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: result.errors.map((error) => withoutHttpStatus(error as GraphQLError)) } : result,
    execute: (args) => asRequest(() => (args.rootValue as Envelope).execute(args)),
    subscribe: (args) => asRequest(() => (args.rootValue as Envelope).subscribe(args)),
  });
  serveGraphqlWs(wss, graphqlWs, (socket) => ({ socket }), pingSeconds * 1000, log);
  wss.on('error', (error) => log.error({ err: error }, 'websocket server error'));

  return {
    get openSockets() {
      return open;
    },
    /** Graceful shutdown: tell every client to reconnect (to another process). */
    close(): Promise<void> {
      for (const client of wss.clients) client.close(CLOSE_RESTARTING, 'Server restarting');
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
