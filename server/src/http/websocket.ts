import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, getOperationAST, GraphQLError } from 'graphql';
import { handleProtocols, makeServer } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate } from '../auth/authenticate.ts';
import { anonymous } from '../auth/principal.ts';
import type { Database } from '../db/client.ts';
import type { Config } from '../config/config.ts';
import { unauthenticated } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import { maskError, type YogaApp } from './graphql.ts';
import { serveGraphqlWs } from './graphqlWsTransport.ts';
import { requestContext } from './requestContext.ts';
import { type SocketSession, SocketSessions } from './socketSessions.ts';

/** graphql-ws close code 1012: the server is restarting, reconnect. */
const CLOSE_RESTARTING = 1012;

type Extra = { socket: WebSocket; session?: SocketSession };
type Envelope = ReturnType<YogaApp['getEnveloped']>;
/** What onSubscribe hands execute/subscribe in `rootValue`: the operation's envelope and request id. */
type Operation = { envelope: Envelope; requestId: string };

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
function inRequest<T>(requestId: string, operation: () => T): T {
  return requestContext.run({ requestId, databaseOperations: 0 }, operation);
}

function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The operation's document, parsed as yoga parses one over HTTP: a syntax error (a document limit
 * found while parsing included) carries GRAPHQL_PARSE_FAILED. yoga adds that code only when there
 * is an HTTP request, on the error object its parse cache keeps: it is set the same way here, so
 * both transports answer the same whichever parsed the document first.
 */
function parseOperation(envelope: Envelope, query: string): DocumentNode {
  try {
    return envelope.parse(query);
  } catch (error) {
    if (error instanceof GraphQLError) (error.extensions as Record<string, unknown>).code ??= 'GRAPHQL_PARSE_FAILED';
    throw error;
  }
}

/**
 * A document without the operation to run (an unknown operationName, or several operations and
 * none named), refused as yoga refuses it over HTTP; graphql-ws would answer in words of its own.
 */
const unresolvedOperation = () =>
  new GraphQLError('Could not determine what operation to execute.', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });

/**
 * GraphQL over graphql-ws on the HTTP server's /graphql, executed by the same yoga envelope
 * (schema, limits, error masking) as HTTP. The connection authenticates once (on `db`) from
 * `connectionParams.authorization`; SocketSessions ends it when that credential ends. Queries and
 * mutations run here too: a worker agent sends its whole protocol over its one socket, which
 * costs the server a fraction of HTTP requests.
 *
 * Every refusal belongs to its operation: a bad document, a limit, a refused credential, bad
 * variables or an unexpected error answer that operation's id (with the code HTTP gives, INTERNAL
 * masked), and the socket and its other operations go on.
 *
 * `socketPingSeconds`: how often each socket is pinged (graphql-ws' default is 12 s). Pings are
 * most of what idle sockets cost the server; the default 30 s still finds a dead peer within a
 * minute and stays under the 60 s idle timeout common to load balancers and NATs.
 * `maxRequestBytes` bounds a message as it bounds an HTTP body: a longer one closes the socket
 * with 1009 (message too big) before it is buffered, where `ws` would take up to 100 MiB.
 */
export function attachWebSocketServer(
  server: Server,
  yoga: YogaApp,
  bus: EventBus,
  db: Database,
  log: Logger,
  { socketPingSeconds, maxRequestBytes }: Pick<Config, 'socketPingSeconds' | 'maxRequestBytes'>,
) {
  const wss = new WebSocketServer({ server, path: '/graphql', handleProtocols, maxPayload: maxRequestBytes });
  const sessions = new SocketSessions(bus, db, log);
  let open = 0;

  /** `error` as the operation's answer carries it: its own code, or masked as INTERNAL (and logged). */
  const operationError = (error: unknown): GraphQLError => {
    if (error instanceof GraphQLError && error.extensions?.code) return withoutHttpStatus(error);
    const masked = maskError(error, 'Unexpected error.', log);
    return withoutHttpStatus(masked instanceof GraphQLError ? masked : new GraphQLError(masked.message));
  };

  /** Runs execute or subscribe in the operation's request; an error it throws is the operation's answer. */
  const run =
    (kind: 'execute' | 'subscribe') =>
    (args: ExecutionArgs): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> => {
      const { envelope, requestId } = args.rootValue as Operation;
      return inRequest(requestId, async () => {
        try {
          return await envelope[kind](args);
        } catch (error) {
          return { errors: [operationError(error)] };
        }
      });
    };

  const graphqlWs = makeServer<Record<string, unknown> | undefined, Extra>({
    onConnect: async (ctx) => {
      const authorization = authorizationOf(ctx.connectionParams);
      const changesBefore = sessions.changes;
      try {
        const principal = await authenticate(db, authorization, bus.credentials);
        open += 1;
        if (authorization && principal.kind !== 'anonymous') {
          ctx.extra.session = { socket: ctx.extra.socket, authorization, principal, checks: 0 };
          sessions.add(ctx.extra.session, changesBefore);
        }
        return true;
      } catch {
        return false;
      }
    },
    onClose: (ctx) => {
      if (!ctx.acknowledged) return;
      open -= 1;
      if (ctx.extra.session) sessions.remove(ctx.extra.session);
    },
    onSubscribe: (ctx, _id, payload) => {
      const requestId = `ws-${randomUUID()}`;
      return inRequest(requestId, async (): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        try {
          const session = ctx.extra.session;
          const refusal = session && sessions.refusal(session);
          if (refusal) return [unauthenticated(refusal)];
          // The upgrade request is not handed on as `request`: yoga would treat mutations as GETs.
          const envelope = yoga.getEnveloped({ principal: session?.principal ?? anonymous, connectionParams: ctx.connectionParams });
          const document = parseOperation(envelope, payload.query);
          const errors = envelope.validate(envelope.schema, document);
          if (errors.length > 0) return errors.map(operationError);
          if (!getOperationAST(document, payload.operationName)) return [unresolvedOperation()];
          return {
            schema: envelope.schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await envelope.contextFactory(),
            rootValue: { envelope, requestId } satisfies Operation,
          };
        } catch (error) {
          return [operationError(error)];
        }
      });
    },
    // Execution's errors were masked by the envelope already.
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: result.errors.map((error) => withoutHttpStatus(error as GraphQLError)) } : result,
    // Errors that end an operation outside execution (e.g. a subscription's source failing).
    onError: (_ctx, _id, _payload, errors) => errors.map((error) => operationError(error).toJSON()),
    execute: run('execute'),
    subscribe: run('subscribe'),
  });
  serveGraphqlWs(wss, graphqlWs, (socket) => ({ socket }), socketPingSeconds * 1000, log);
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
