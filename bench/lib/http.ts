// GraphQL over HTTP for the benchmark: node:http with one keep-alive agent (cheaper per request
// than fetch on Node 20, so the client takes less of the CPU it shares with the server).
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One HTTP request on the shared keep-alive agent; resolves with the whole body as text. A request
 * sent on a kept-alive socket that the server closed as idle at that moment fails with
 * ECONNRESET before the server saw it: that one is sent again, as Node's documentation advises.
 */
export async function httpRequest(
  url: string,
  options: { method: 'GET' | 'POST' | 'PUT'; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(url, options);
    } catch (error) {
      const stale = (error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
      if (!stale || attempt >= 3) throw error;
    }
  }
}

function sendOnce(
  url: string,
  options: { method: 'GET' | 'POST' | 'PUT'; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpAnswer> {
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

/** Ends the keep-alive sockets so the process can exit. */
export function closeHttpAgent(): void {
  agent.destroy();
}

export interface GraphQLErrorEntry {
  message: string;
  extensions?: { code?: string };
}

/** A GraphQL answer with errors, or one that was not GraphQL at all. */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The error for an answer without data: the operation's first field and the first error's code and message. */
export function operationError(query: string, first: GraphQLErrorEntry | undefined, fallback: string, status: number): GraphQLRequestError {
  const operation = /\{\s*(\w+)/.exec(query)?.[1] ?? query.slice(0, 40);
  return new GraphQLRequestError(
    `${operation}: ${first?.extensions?.code ?? 'no data'} ${first?.message ?? fallback}`,
    first?.extensions?.code,
    status,
  );
}

/** POSTs one operation with `Authorization: Bearer <token>`; errors throw GraphQLRequestError. */
export async function graphql<T>(url: string, token: string | undefined, query: string, variables: object = {}): Promise<T> {
  const answer = await httpRequest(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: GraphQLErrorEntry[] };
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new GraphQLRequestError(
      `answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 300)}`,
      undefined,
      answer.status,
    );
  }
  if (body.errors?.length || !body.data) throw operationError(query, body.errors?.[0], answer.text.slice(0, 300), answer.status);
  return body.data;
}

/** PUTs bytes to a signed upload URL; the answer carries what the server stored. */
export async function putBytes(url: string, bytes: Buffer): Promise<void> {
  const answer = await httpRequest(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  if (answer.status !== 200) throw new Error(`PUT ${new URL(url).pathname} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
}
