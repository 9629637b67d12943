// The one HTTP client of the tests, the benchmark and the scripts: requests on a keep-alive
// node:http agent (cheaper per request than fetch on Node 20, so a benchmark's client takes less of
// the CPU it shares with the server), GraphQL POSTs with one argument order, and one error type for
// an operation that did not give its data. It imports nothing from vitest, so the bench can use it.
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequestOptions {
  method: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * One HTTP request (http: URLs only) on the shared keep-alive agent; resolves with the status and
 * the whole body as UTF-8 text, whatever the status. A request sent on a kept-alive socket that the
 * server closed as idle at that moment fails with ECONNRESET before the server saw it: that one is
 * sent again (up to 3 times), as Node's documentation advises. Rejects with the socket's error
 * otherwise (e.g. ECONNREFUSED).
 */
export async function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(url, options);
    } catch (error) {
      const stale = (error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
      if (!stale || attempt >= 3) throw error;
    }
  }
}

function sendOnce(url: string, options: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const req = request(
      url,
      {
        method: options.method,
        agent,
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

/** Ends the agent's kept-alive sockets (idle ones do not hold the process open; busy ones would). */
export function closeHttpAgent(): void {
  agent.destroy();
}

/** One entry of a GraphQL answer's `errors`; `extensions.code` is the server's error code (DESIGN.md). */
export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResult<T> {
  data?: T;
  errors?: GraphQLError[];
  /** The HTTP status of the response (0 for an operation on a socket). */
  status: number;
}

/**
 * An operation that did not give its data: the answer had errors (`code` is the first one's
 * `extensions.code`), had neither data nor errors, or was not GraphQL at all (`code` undefined).
 */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** The HTTP status (0 for an operation on a socket). */
    readonly status: number,
    readonly errors: GraphQLError[] = [],
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

/**
 * POSTs one operation to `url` (the server's /graphql); `token` becomes `Authorization: Bearer
 * <token>`. Resolves with the answer's data and errors as they came, and its HTTP status; rejects
 * with GraphQLRequestError only when the body is not JSON, and with the socket's error when the
 * server cannot be reached.
 */
export async function graphql<T = any>(url: string, query: string, variables?: object, token?: string): Promise<GraphQLResult<T>> {
  const answer = await httpRequest(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T | null; errors?: GraphQLError[] };
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new GraphQLRequestError(
      `POST ${url} answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 500)}`,
      undefined,
      answer.status,
    );
  }
  return { data: body.data ?? undefined, errors: body.errors, status: answer.status };
}

/** The data of `result`, the answer to `query`; throws operationError() when it has errors or no data. */
export function requireData<T>(query: string, result: GraphQLResult<T>): T {
  if (!result.errors?.length && result.data !== undefined) return result.data;
  throw operationError(query, result);
}

/**
 * The error for an answer to `query` that has errors or no data: its message names the operation's
 * first field and the first error's code and message.
 */
export function operationError(query: string, result: GraphQLResult<unknown>): GraphQLRequestError {
  const first = result.errors?.[0];
  const operation = /\{\s*(\w+)/.exec(query)?.[1] ?? query.slice(0, 40);
  const code = first?.extensions?.code;
  return new GraphQLRequestError(
    `${operation}: ${code ?? 'no data'} ${first?.message ?? JSON.stringify(result).slice(0, 300)}`,
    code,
    result.status,
    result.errors,
  );
}

/** graphql() for callers that want only the data: resolves with it, or throws GraphQLRequestError. */
export async function graphqlData<T>(url: string, query: string, variables?: object, token?: string): Promise<T> {
  return requireData(query, await graphql<T>(url, query, variables, token));
}
