// A worker agent sends its whole protocol over the graphql-ws socket it holds for jobAvailable:
// queries and mutations run there as over HTTP, as the same principal, with the same errors.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, readBuild, registerWorker, revokeWorker, sha256, submitBuild, useServer } from './helpers/flows.ts';
import { expectCode, expectData, graphql, socketRequest, wsClient } from './helpers/graphql.ts';

const { server } = useServer();
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

describe('operations over a socket', () => {
  it('runs a build from claim to completion over the worker’s socket', async () => {
    const build = await submitBuild(server, submitter);
    const worker = await registerWorker(server, workerKey, { name: 'socket-worker' });
    const socket = wsClient(server.wsUrl, worker.token);
    const run = <T = any>(query: string, variables?: Record<string, unknown>) => socketRequest<T>(socket, query, variables);

    const claimed = expectData(await run(`mutation { claimBuild { id status sourceUrl } }`)).claimBuild;
    expect(claimed).toMatchObject({ id: build.id, status: 'ASSIGNED' });
    expect(claimed.sourceUrl).toMatch(/^http/);

    const beat = expectData(
      await run(`mutation ($id: ID) { heartbeat(buildId: $id, progress: 40) { cancelRequested build { status progress } } }`, {
        id: build.id,
      }),
    ).heartbeat;
    expect(beat).toEqual({ cancelRequested: false, build: { status: 'BUILDING', progress: 40 } });

    const logs = expectData(
      await run(
        `mutation ($id: ID!, $lines: [BuildLogInput!]!) { appendBuildLogs(buildId: $id, firstSeq: 1, lines: $lines) { nextSeq accepted } }`,
        {
          id: build.id,
          lines: [
            { level: 'INFO', message: 'compiling' },
            { level: 'WARN', message: 'deprecated API' },
          ],
        },
      ),
    ).appendBuildLogs;
    expect(logs).toEqual({ nextSeq: 3, accepted: 2 });

    const result = randomBytes(300);
    const ticket = expectData(
      await run(`mutation ($input: CreateUploadInput!) { createUpload(input: $input) { id url } }`, {
        input: { kind: 'RESULT', filename: 'app.apk', size: result.length, buildId: build.id },
      }),
    ).createUpload;
    expect((await fetch(ticket.url, { method: 'PUT', body: new Uint8Array(result) })).status).toBe(200);

    const completed = expectData(
      await run(`mutation ($id: ID!, $upload: ID!) { completeBuild(buildId: $id, resultUploadId: $upload) { status resultSha256 } }`, {
        id: build.id,
        upload: ticket.id,
      }),
    ).completeBuild;
    expect(completed).toEqual({ status: 'COMPLETED', resultSha256: sha256(result) });

    // What the console reads over HTTP is what the socket wrote.
    const read = expectData(await readBuild(server, submitter, build.id, 'status logLineCount worker { id }')).build;
    expect(read).toEqual({ status: 'COMPLETED', logLineCount: 2, worker: { id: worker.workerId } });
    const stored = expectData(
      await graphql(
        server.graphqlUrl,
        'query ($id: ID!) { buildLogs(buildId: $id) { edges { node { message } } } }',
        { id: build.id },
        submitter,
      ),
    ).buildLogs;
    expect(stored.edges.map((edge: { node: { message: string } }) => edge.node.message)).toEqual(['compiling', 'deprecated API']);
    await socket.dispose();
  });

  it('answers errors with their codes and keeps each caller to its role', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'socket-errors' });
    const socket = wsClient(server.wsUrl, worker.token);
    expectCode(await socketRequest(socket, `mutation { heartbeat(buildId: "not-an-id") { cancelRequested } }`), 'BAD_USER_INPUT');
    expectCode(await socketRequest(socket, `query { builds(first: 1) { edges { node { id } } } }`), 'FORBIDDEN');
    // A query that does not validate gets the code it gets over HTTP, without HTTP's status.
    const unknownField = `query { noSuchField }`;
    const invalid = await socketRequest(socket, unknownField);
    const overHttp = await graphql(server.graphqlUrl, unknownField, {}, worker.token);
    expect(invalid.errors).toEqual([{ ...overHttp.errors![0], extensions: { code: overHttp.errors![0]!.extensions!.code } }]);

    const console = wsClient(server.wsUrl, submitter);
    expectCode(await socketRequest(console, `mutation { claimBuild { id } }`), 'FORBIDDEN');
    await Promise.all([socket.dispose(), console.dispose()]);
  });

  it('ends the session of a revoked worker: its socket closes and takes no more operations', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'socket-revoked' });
    const socket = wsClient(server.wsUrl, worker.token);
    expectData(await socketRequest(socket, `mutation { heartbeat { cancelRequested } }`));
    let closed!: () => void;
    const closedPromise = new Promise<void>((resolve) => (closed = resolve));
    socket.on('closed', () => closed());
    expectData(await revokeWorker(server, worker.workerId));
    await closedPromise;
    // graphql-ws would reconnect lazily for a new operation: the server refuses the revoked token.
    await expect(socketRequest(socket, `mutation { heartbeat { cancelRequested } }`)).rejects.toThrow(/4403|Forbidden|closed/i);
    await socket.dispose();
  });
});
