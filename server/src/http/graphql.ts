import type { IncomingMessage, ServerResponse } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import { createYoga, type GraphiQLOptions, maskError as yogaMaskError } from 'graphql-yoga';
import type { Logger } from 'pino';
import { authenticate } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { isConnectionLoss } from '../db/connectionLoss.ts';
import { AppError, unavailable } from '../errors.ts';
import type { Services } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { useMutationRateLimit, TokenBuckets } from './mutationRateLimit.ts';
import { useNestingLimit } from './nestingLimit.ts';
import { currentRequestId } from './requestContext.ts';
import { sendError } from './respond.ts';

// Depth: the console's deepest real query (builds → edges → node → events) with room to spare.
// Cost (graphql-armor multiplies by a literal first/last): the largest page of each connection
// with every field a reader shows fits (a 1000-line log page is ~34,000), two full log pages do not.
const LIMITS = { depth: 12, cost: 60_000, aliases: 30, tokens: 5_000, directives: 20 };

const GRAPHIQL_QUERY = `# Put your key in the Headers tab: {"Authorization": "Bearer <your key>"}
query Queue {
  queueStats { builds { status platform count } workers { status count } }
  builds(first: 10) { edges { node { id status platform submittedAt } } }
}
`;

let graphiqlHtml: Promise<string> | undefined;

/**
 * GraphiQL's page with its scripts, styles and editor workers inlined (yoga's own page loads them
 * from a CDN, blank without internet). The module is ~9 MB of JavaScript: imported on the first
 * visit, not at start, and rendered once (the options never change).
 */
function graphiqlPage(options?: GraphiQLOptions): Promise<string> {
  graphiqlHtml ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options));
  return graphiqlHtml;
}

/**
 * yoga's error masking, for HTTP and for graphql-ws operations alike: expected errors keep their
 * code, anything else is logged with the request id and answered as INTERNAL. Takes the error and
 * yoga's default message; returns the error to show.
 */
export function maskError(error: unknown, message: string, log: Logger): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof AppError) return error as Error;
  // graphql-js's own errors (syntax, validation, variable coercion) are the caller's input.
  if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
    if (error.extensions.code) return error;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
    });
  }
  // A database outage is expected and passes: the caller is told to retry, not shown INTERNAL.
  if (isConnectionLoss(original)) {
    log.warn({ err: original, requestId: currentRequestId() }, 'database unavailable');
    const refusal = unavailable();
    const located = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(refusal.message, { nodes: located?.nodes, path: located?.path, extensions: refusal.extensions });
  }
  const requestId = currentRequestId();
  log.error({ err: original, requestId }, 'unexpected error');
  const masked = yogaMaskError(error, message, false) as GraphQLError;
  return new GraphQLError(`Internal error (request ${requestId})`, {
    nodes: masked.nodes,
    path: masked.path,
    extensions: { code: 'INTERNAL', requestId },
  });
}

/**
 * GraphQL over HTTP (and SSE) through yoga: the caller is authenticated from the
 * Authorization header, expected errors keep their code, anything else is logged with the
 * request id and answered as INTERNAL.
 */
export function createGraphqlHandler(services: Services) {
  const { config, log } = services;
  const yoga = createYoga<{ req: IncomingMessage; res: ServerResponse }>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // handle() below bounds every body by its Content-Length (and refuses one without) before yoga
    // sees it; yoga's own limit would wrap each body in a web TransformStream, which cost more
    // server CPU than the rest of a small request's HTTP handling.
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      // yoga logs here every error it masks, as it was before masking; maskError has logged it
      // already at its own level (a database outage as a warning, the unexpected as an error), so
      // an outage does not fill the log with error lines, nor an unexpected error say it twice.
      error: (...args) => log.debug(args.map(String).join(' ')),
    },
    graphiql: {
      title: 'Free Agent',
      defaultQuery: GRAPHIQL_QUERY,
      headers: '{"Authorization": "Bearer <your key>"}',
      defaultEditorToolsVisibility: 'headers',
    },
    renderGraphiQL: graphiqlPage,
    // Over graphql-ws the socket authenticated once and hands its principal in.
    context: async (initial: { request?: Request; principal?: Principal }) => ({
      principal:
        initial.principal ??
        (await authenticate(services.db.reads, initial.request?.headers.get('authorization'), services.bus.credentials)),
      services,
    }),
    maskedErrors: {
      isDev: false,
      maskError: (error, message) => maskError(error, message, log),
    },
    plugins: [
      useNestingLimit(),
      EnvelopArmorPlugin({
        maxDepth: { n: LIMITS.depth, flattenFragments: true },
        costLimit: { maxCost: LIMITS.cost },
        maxAliases: { n: LIMITS.aliases },
        maxTokens: { n: LIMITS.tokens },
        maxDirectives: { n: LIMITS.directives },
        blockFieldSuggestion: { enabled: config.production },
      }),
      ...(config.mutationRateLimit.perSecond > 0
        ? [useMutationRateLimit(new TokenBuckets(config.mutationRateLimit.perSecond, config.mutationRateLimit.burst))]
        : []),
    ],
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Bodies are bounded before yoga reads them; an unbounded (chunked) body is refused.
    if (req.method === 'POST') {
      const length = Number(req.headers['content-length']);
      if (!req.headers['content-length'] || !Number.isFinite(length))
        return sendError(res, 411, 'BAD_USER_INPUT', 'A GraphQL POST needs a Content-Length header');
      if (length > config.maxRequestBytes)
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `A GraphQL request may be at most ${config.maxRequestBytes} bytes`);
    }
    return yoga.requestListener(req, res);
  };
  return { yoga, handle };
}

export type YogaApp = ReturnType<typeof createGraphqlHandler>['yoga'];
