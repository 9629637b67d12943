import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { expectData, graphql } from './graphql.ts';
import { startServer, type TestServer } from './server.ts';

/**
 * The steps every scenario repeats, each through the real GraphQL and HTTP API. Helpers named after
 * a mutation return its raw answer, so a test can expectData() or expectCode() as it needs.
 */

/**
 * Gives the test file a database cloned from the template and a server on it (with `env`), made
 * before its tests and stopped and dropped after them. The objects are filled in by beforeAll, so
 * the file can name them at the top.
 */
export function useServer(env?: Record<string, string>): { server: TestServer; database: TestDatabase } {
  const database = {} as TestDatabase;
  const server = {} as TestServer;
  beforeAll(async () => {
    Object.assign(database, await createTestDatabase());
    Object.assign(server, await startServer({ databaseUrl: database.url, env }));
  });
  afterAll(async () => {
    // Either may be missing when beforeAll failed.
    await server.stop?.();
    await database.drop?.();
  });
  return { server, database };
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export async function createApiKey(server: TestServer, role: 'ADMIN' | 'SUBMITTER' | 'WORKER' | 'VIEWER', name = `${role} key`) {
  const data = expectData(
    await graphql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      server.graphqlUrl,
      `
        mutation ($name: String!, $role: ApiKeyRole!) {
          createApiKey(name: $name, role: $role) {
            secret
            apiKey {
              id
            }
          }
        }
      `,
      { name, role },
      server.adminKey,
    ),
  );
  return { secret: data.createApiKey.secret, id: data.createApiKey.apiKey.id };
}

type UploadKind = 'SOURCE' | 'CERTS' | 'RESULT';

export interface UploadTicket {
  id: string;
  url: string | null;
  headers: { name: string; value: string }[];
  expiresAt: string;
  partSize: number | null;
  partCount: number;
}

/** Reserves an upload without sending its bytes. */
export function createUpload(
  server: TestServer,
  token: string,
  input: { kind: UploadKind; filename: string; size: number; sha256?: string; buildId?: string },
) {
  return graphql<{ createUpload: UploadTicket }>(
    server.graphqlUrl,
    `
      mutation ($input: CreateUploadInput!) {
        createUpload(input: $input) {
          id
          url
          headers {
            name
            value
          }
          expiresAt
          partSize
          partCount
        }
      }
    `,
    { input },
    token,
  );
}

/** PUTs `bytes` to a single-PUT ticket's URL with the headers it names; returns the answer. */
export function putToTicket(ticket: Pick<UploadTicket, 'url' | 'headers'>, bytes: Buffer): Promise<Response> {
  if (!ticket.url) throw new Error('a multipart ticket has no single URL');
  const headers = Object.fromEntries(ticket.headers.map((header) => [header.name, header.value]));
  return fetch(ticket.url, { method: 'PUT', body: new Uint8Array(bytes), headers });
}

/** Reserves an upload (declaring its sha256) and PUTs the bytes to its signed URL; returns the upload id. */
export async function upload(
  server: TestServer,
  token: string,
  kind: UploadKind,
  bytes: Buffer,
  buildId?: string,
  filename = `${kind.toLowerCase()}.bin`,
): Promise<string> {
  const ticket = expectData(
    await createUpload(server, token, { kind, filename, size: bytes.length, sha256: sha256(bytes), buildId }),
  ).createUpload;
  const response = await putToTicket(ticket, bytes);
  if (response.status !== 200) throw new Error(`PUT ${kind} answered ${response.status}: ${await response.text()}`);
  return ticket.id;
}

export async function submitBuild(
  server: TestServer,
  token: string,
  input: { platform?: 'IOS' | 'ANDROID'; priority?: number; certs?: Buffer; source?: Buffer; [key: string]: unknown } = {},
) {
  const { certs, source, platform = 'ANDROID', ...rest } = input;
  const sourceUploadId = await upload(server, token, 'SOURCE', source ?? randomBytes(1024));
  const certsUploadId = certs ? await upload(server, token, 'CERTS', certs) : undefined;
  const data = expectData(
    await graphql<{ submitBuild: { id: string; status: string } }>(
      server.graphqlUrl,
      `
        mutation ($input: SubmitBuildInput!) {
          submitBuild(input: $input) {
            id
            status
          }
        }
      `,
      { input: { platform, sourceUploadId, certsUploadId, ...rest } },
      token,
    ),
  );
  return data.submitBuild;
}

export async function registerWorker(
  server: TestServer,
  workerKey: string,
  input: { name?: string; platforms?: ('IOS' | 'ANDROID')[]; workerId?: string; labels?: string[]; maxConcurrentBuilds?: number } = {},
) {
  const data = expectData(
    await graphql<{ registerWorker: { accessToken: string; expiresAt: string; worker: { id: string } } }>(
      server.graphqlUrl,
      `
        mutation ($input: RegisterWorkerInput!) {
          registerWorker(input: $input) {
            accessToken
            expiresAt
            worker {
              id
            }
          }
        }
      `,
      {
        input: {
          name: input.name ?? 'mac-1',
          platforms: input.platforms ?? ['IOS', 'ANDROID'],
          workerId: input.workerId,
          labels: input.labels,
          maxConcurrentBuilds: input.maxConcurrentBuilds,
        },
      },
      workerKey,
    ),
  );
  return { workerId: data.registerWorker.worker.id, token: data.registerWorker.accessToken, expiresAt: data.registerWorker.expiresAt };
}

export async function claim(server: TestServer, workerToken: string) {
  const result = await graphql<{ claimBuild: { id: string; sourceUrl: string; certsUrl: string | null; attempt: number } | null }>(
    server.graphqlUrl,
    `
      mutation {
        claimBuild {
          id
          sourceUrl
          certsUrl
          attempt
        }
      }
    `,
    {},
    workerToken,
  );
  return expectData(result).claimBuild;
}

/** A heartbeat; with `attempt`, for that attempt only (see the mutation). */
export async function heartbeat(server: TestServer, workerToken: string, buildId?: string, progress?: number, attempt?: number) {
  return graphql<{ heartbeat: { cancelRequested: boolean; accessToken: string | null; build: { status: string } | null } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID, $progress: Int, $attempt: Int) {
        heartbeat(buildId: $buildId, progress: $progress, attempt: $attempt) {
          cancelRequested
          accessToken
          expiresAt
          build {
            status
          }
        }
      }
    `,
    { buildId, progress, attempt },
    workerToken,
  );
}

/** Appends a batch of log lines; with `attempt`, for that attempt only (see the mutation). */
export function appendBuildLogs(
  server: TestServer,
  workerToken: string,
  buildId: string,
  firstSeq: number,
  lines: object[],
  attempt?: number,
) {
  return graphql<{ appendBuildLogs: { nextSeq: number; accepted: number; truncated: boolean } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $firstSeq: Int!, $lines: [BuildLogInput!]!, $attempt: Int) {
        appendBuildLogs(buildId: $buildId, firstSeq: $firstSeq, lines: $lines, attempt: $attempt) {
          nextSeq
          accepted
          truncated
        }
      }
    `,
    { buildId, firstSeq, lines, attempt },
    workerToken,
  );
}

/** Records telemetry events; with `attempt`, for that attempt only (see the mutation). */
export function recordBuildTelemetry(
  server: TestServer,
  workerToken: string,
  buildId: string,
  events: { kind: string; data?: unknown }[],
  attempt?: number,
) {
  return graphql<{ recordBuildTelemetry: { accepted: number } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $events: [BuildTelemetryInput!]!, $attempt: Int) {
        recordBuildTelemetry(buildId: $buildId, events: $events, attempt: $attempt) {
          accepted
        }
      }
    `,
    { buildId, events, attempt },
    workerToken,
  );
}

/** Completes a build with a RESULT upload that already holds its bytes; with `attempt`, for that attempt only (see the mutation). */
export function completeBuild(server: TestServer, workerToken: string, buildId: string, resultUploadId: string, attempt?: number) {
  return graphql<{ completeBuild: { status: string; progress: number; resultSha256: string } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $resultUploadId: ID!, $attempt: Int) {
        completeBuild(buildId: $buildId, resultUploadId: $resultUploadId, attempt: $attempt) {
          status
          progress
          resultSha256
        }
      }
    `,
    { buildId, resultUploadId, attempt },
    workerToken,
  );
}

/** Uploads `result` for the build and completes it. */
export async function complete(server: TestServer, workerToken: string, buildId: string, result = randomBytes(256)) {
  const resultUploadId = await upload(server, workerToken, 'RESULT', result, buildId);
  return completeBuild(server, workerToken, buildId, resultUploadId);
}

/** Fails the build; with `attempt`, for that attempt only (see the mutation). */
export function failBuild(
  server: TestServer,
  workerToken: string,
  buildId: string,
  failure: { message: string; retryable?: boolean; attempt?: number },
) {
  return graphql<{ failBuild: { id: string; status: string; attempt: number; errorMessage: string | null } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $message: String!, $retryable: Boolean, $attempt: Int) {
        failBuild(buildId: $buildId, message: $message, retryable: $retryable, attempt: $attempt) {
          id
          status
          attempt
          errorMessage
        }
      }
    `,
    { buildId, ...failure },
    workerToken,
  );
}

export function cancelBuild(server: TestServer, token: string, buildId: string) {
  return graphql<{ cancelBuild: { id: string; status: string } }>(
    server.graphqlUrl,
    `
      mutation ($id: ID!) {
        cancelBuild(id: $id) {
          id
          status
        }
      }
    `,
    { id: buildId },
    token,
  );
}

export function retryBuild(server: TestServer, token: string, buildId: string) {
  return graphql<{ retryBuild: { id: string; status: string; retryOf: { id: string } | null } }>(
    server.graphqlUrl,
    `
      mutation ($id: ID!) {
        retryBuild(id: $id) {
          id
          status
          retryOf {
            id
          }
        }
      }
    `,
    { id: buildId },
    token,
  );
}

/** Revokes a worker with the admin key. */
export function revokeWorker(server: TestServer, workerId: string) {
  return graphql<{ revokeWorker: { id: string; status: string; revokedAt: string | null } }>(
    server.graphqlUrl,
    `
      mutation ($id: ID!) {
        revokeWorker(id: $id) {
          id
          status
          revokedAt
        }
      }
    `,
    { id: workerId },
    server.adminKey,
  );
}

/** Reads `build(id)` with the fields in `selection` (GraphQL selection syntax). */
export function readBuild(server: TestServer, token: string, buildId: string, selection: string) {
  return graphql(server.graphqlUrl, `query ($id: ID!) { build(id: $id) { ${selection} } }`, { id: buildId }, token);
}

/** Reads `worker(id)` with the fields in `selection` (GraphQL selection syntax). */
export function readWorker(server: TestServer, token: string, workerId: string, selection: string) {
  return graphql(server.graphqlUrl, `query ($id: ID!) { worker(id: $id) { ${selection} } }`, { id: workerId }, token);
}

type StoredLine = { seq: number; level: string; message: string };
type LogPage = { edges: { node: StoredLine }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** Every stored line of one attempt's log (the latest by default), in seq order, paging through it. */
export async function storedLog(server: TestServer, token: string, buildId: string, attempt?: number): Promise<StoredLine[]> {
  const lines: StoredLine[] = [];
  for (let after: string | null = null; ;) {
    const page: LogPage = expectData(
      await graphql<{ buildLogs: LogPage }>(
        server.graphqlUrl,
        `
          query ($buildId: ID!, $attempt: Int, $after: String) {
            buildLogs(buildId: $buildId, attempt: $attempt, first: 300, after: $after) {
              edges {
                node {
                  seq
                  level
                  message
                }
              }
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        `,
        { buildId, attempt, after },
        token,
      ),
    ).buildLogs;
    lines.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return lines;
    after = page.pageInfo.endCursor;
  }
}

export async function buildStatus(server: TestServer, buildId: string): Promise<string> {
  return expectData(await readBuild(server, server.adminKey, buildId, 'status')).build.status;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
