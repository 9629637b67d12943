// On a graphql-ws socket every refusal belongs to one operation: a bad document, a limit, a
// refused credential or bad variables answer that operation's id with the code HTTP gives for the
// same document, and the socket and its other operations go on.
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { type GraphQLError, subscribe } from './helpers/graphql.ts';
import { type OperationPayload, RawSocket, type RawMessage } from './helpers/rawSocket.ts';

// Mutations are rate limited in this file (10 at once, then one every 100 s per caller), so the
// RATE_LIMITED refusal can be compared too; every test takes fresh keys for its mutations.
const { server } = useServer({ FREE_AGENT_MUTATIONS_PER_SECOND: '0.01', FREE_AGENT_MUTATION_BURST: '10' });
let workerKey: string;

beforeAll(async () => {
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

const submitterKey = async () => (await createApiKey(server, 'SUBMITTER', `submitter ${randomBytes(3).toString('hex')}`)).secret;

/** The same operation as a plain HTTP POST. */
async function overHttp(payload: OperationPayload, token?: string): Promise<{ status: number; errors: GraphQLError[] }> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(payload),
  });
  const body = (await response.json()) as { errors?: GraphQLError[] };
  return { status: response.status, errors: body.errors ?? [] };
}

/** An error as a socket should carry it: HTTP's error without the HTTP status it sets. */
function withoutHttp(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions ?? {};
  return { ...error, extensions };
}

let nextId = 0;
const operationId = () => `op-${++nextId}`;

/** A query answered on a healthy socket, whoever holds it. */
async function expectAlive(socket: RawSocket): Promise<void> {
  const answer = await socket.run(operationId(), { query: '{ __typename }' });
  expect(answer.errors).toEqual([]);
  expect(answer.messages.map((message) => message.type)).toEqual(['next', 'complete']);
}

const nested = (field: string, levels: number, leaf: string) => `${`${field} { `.repeat(levels)}${leaf}${' }'.repeat(levels)}`;
const oneRetryChain = (levels: number) => `{ builds(first: 1) { edges { node { ${nested('retryOf', levels, 'id')} } } } }`;

describe('one bad operation on a socket', () => {
  it('answers a bad subscribe with an error for its id only, and the live subscription keeps its events', async () => {
    const submitter = await submitterKey();
    // The graphql-ws client holds the live subscription; the raw `ws` socket under it sends the bad message.
    let underlying: WebSocket | undefined;
    class CapturedWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        underlying = this;
      }
    }
    let closeCode: number | undefined;
    const client: Client = createClient({
      url: server.wsUrl,
      webSocketImpl: CapturedWebSocket,
      connectionParams: { authorization: `Bearer ${submitter}` },
      retryAttempts: 0,
      on: { closed: (event) => (closeCode = (event as { code: number }).code) },
    });
    try {
      const updates = subscribe(client, `subscription { buildUpdated { buildId status } }`);
      // graphql-ws does not acknowledge a subscription: submit until the first event shows it is live.
      let first: string | undefined;
      while (!first) {
        const build = await submitBuild(server, submitter);
        first = await updates.next(1_000).then(
          (event) => event.data!.buildUpdated.buildId as string,
          () => undefined,
        );
        if (first && first !== build.id) first = undefined;
      }

      const answers: RawMessage[] = [];
      underlying!.on('message', (data) => {
        const message = JSON.parse(String(data)) as RawMessage;
        if (message.id === 'bad') answers.push(message);
      });
      underlying!.send('{"id":"bad","type":"subscribe","payload":{"query":"subscription {"}}');
      const build = await submitBuild(server, submitter);
      let seen: string | undefined;
      while (seen !== build.id) seen = (await updates.next(5_000)).data!.buildUpdated.buildId;

      const overHttpAnswer = await overHttp({ query: 'subscription {' }, submitter);
      expect(overHttpAnswer.errors[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(answers).toEqual([{ id: 'bad', type: 'error', payload: overHttpAnswer.errors.map(withoutHttp) }]);
      expect(closeCode).toBeUndefined();
      updates.close();
    } finally {
      await client.dispose();
    }
  });

  it('refuses every kind of bad operation per operation, with the code HTTP gives, and keeps the socket', async () => {
    const submitter = await submitterKey();
    const worker = await registerWorker(server, workerKey, { name: 'refusals' });
    const limited = await submitterKey();
    const createUploads = (count: number) =>
      `mutation { ${Array.from({ length: count }, (_, index) => `u${index}: createUpload(input: { kind: SOURCE, filename: "a.zip", size: 10 }) { id }`).join(' ')} }`;
    // Spends the limited key's whole burst, so its next mutation is refused.
    expect((await overHttp({ query: createUploads(10) }, limited)).errors).toEqual([]);

    const cases: { name: string; token?: string; payload: OperationPayload; code: string }[] = [
      { name: 'syntax', token: submitter, payload: { query: '{ me { name }' }, code: 'GRAPHQL_PARSE_FAILED' },
      { name: 'syntax in a subscription', token: submitter, payload: { query: 'subscription {' }, code: 'GRAPHQL_PARSE_FAILED' },
      { name: 'unknown field', token: submitter, payload: { query: '{ noSuchField }' }, code: 'GRAPHQL_VALIDATION_FAILED' },
      {
        name: 'two root fields in a subscription',
        token: submitter,
        payload: { query: 'subscription { buildUpdated { status } queueStats { finishedToday } }' },
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      { name: 'depth limit', token: submitter, payload: { query: oneRetryChain(14) }, code: 'BAD_USER_INPUT' },
      {
        name: 'alias limit',
        token: submitter,
        payload: { query: `{ ${Array.from({ length: 31 }, (_, index) => `a${index}: me { name }`).join(' ')} }` },
        code: 'BAD_USER_INPUT',
      },
      { name: 'token limit', token: submitter, payload: { query: `{ me { ${'name '.repeat(5_000)}} }` }, code: 'GRAPHQL_PARSE_FAILED' },
      {
        name: 'directive limit',
        token: submitter,
        payload: { query: `{ me { name ${'@include(if: true) '.repeat(21)}} }` },
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'cost limit',
        token: submitter,
        payload: {
          query: `{ ${Array.from({ length: 3 }, (_, index) => `a${index}: builds(first: 100) { edges { node { ${nested('retryOf', 6, 'id worker { id name }')} } } }`).join(' ')} }`,
        },
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'a document nested deeper than the parser goes',
        token: submitter,
        payload: { query: `{ ${nested('a', 2_000, 'b')} }` },
        code: 'GRAPHQL_PARSE_FAILED',
      },
      { name: 'no credentials', payload: { query: '{ builds(first: 1) { edges { node { id } } } }' }, code: 'UNAUTHENTICATED' },
      {
        name: 'no credentials for a subscription',
        payload: { query: 'subscription { buildUpdated { status } }' },
        code: 'UNAUTHENTICATED',
      },
      { name: 'a role that may not', token: submitter, payload: { query: 'mutation { claimBuild { id } }' }, code: 'FORBIDDEN' },
      {
        name: 'a subscription the role may not have',
        token: submitter,
        payload: { query: 'subscription { workerEvents { kind } }' },
        code: 'FORBIDDEN',
      },
      {
        name: 'a worker reading builds',
        token: worker.token,
        payload: { query: '{ builds(first: 1) { edges { node { id } } } }' },
        code: 'FORBIDDEN',
      },
      {
        name: 'a missing variable',
        token: submitter,
        payload: { query: 'query ($id: ID!) { build(id: $id) { id } }' },
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'a variable of the wrong type',
        token: submitter,
        payload: { query: 'query ($first: Int) { builds(first: $first) { edges { node { id } } } }', variables: { first: 'ten' } },
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'a bad argument to a subscription',
        token: submitter,
        payload: { query: 'subscription { buildLogAppended(buildId: "not-an-id") { nextSeq } }' },
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'an unknown operationName',
        token: submitter,
        payload: { query: 'query A { me { name } } query B { me { role } }', operationName: 'C' },
        code: 'OPERATION_RESOLUTION_FAILURE',
      },
      {
        name: 'several operations and no operationName',
        token: submitter,
        payload: { query: 'query A { me { name } } query B { me { role } }' },
        code: 'OPERATION_RESOLUTION_FAILURE',
      },
      { name: 'the mutation rate limit', token: limited, payload: { query: createUploads(1) }, code: 'RATE_LIMITED' },
    ];

    const sockets = new Map<string | undefined, RawSocket>();
    for (const token of new Set(cases.map((each) => each.token))) {
      const socket = await RawSocket.open(server.wsUrl, token);
      // A live subscription beside the refused operations.
      const live = token === worker.token ? 'subscription { workerEvents { kind } }' : 'subscription { queueStats { finishedToday } }';
      socket.send({ id: 'live', type: 'subscribe', payload: { query: live } });
      sockets.set(token, socket);
    }
    try {
      const codes: Record<string, { http?: string; socket?: string }> = {};
      for (const { name, token, payload } of cases) {
        const socket = sockets.get(token)!;
        const http = await overHttp(payload, token);
        const answer = await socket.run(operationId(), payload).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
        codes[name] = { http: http.errors[0]?.extensions?.code, socket: answer.errors[0]?.extensions?.code };
        expect(answer.errors, name).toEqual(http.errors.map(withoutHttp));
        await expectAlive(socket);
      }
      expect(codes).toEqual(Object.fromEntries(cases.map(({ name, code }) => [name, { http: code, socket: code }])));
      for (const [token, socket] of sockets) {
        // Anonymous callers may not subscribe to queueStats: theirs was refused, on its own.
        if (!token) continue;
        const ended = socket.messages('live').filter((message) => message.type !== 'next');
        expect(ended).toEqual([]);
      }
    } finally {
      await Promise.all([...sockets.values()].map((socket) => socket.close()));
    }
  });

  it('closes a socket with 1009 on a message longer than an HTTP body may be, before buffering it', async () => {
    const socket = await RawSocket.open(server.wsUrl, workerKey);
    // The server's default FREE_AGENT_MAX_REQUEST_BYTES is 1 MiB.
    socket.send({ id: 'huge', type: 'subscribe', payload: { query: `{ __typename }${' '.repeat(1024 * 1024)}` } });
    expect((await socket.closed).code).toBe(1009);
  });
});
