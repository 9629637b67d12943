import { createHash, randomBytes } from 'node:crypto';
import { expectData, graphql } from './graphql.ts';
import type { TestServer } from './server.ts';

/** The steps every scenario repeats, each through the real GraphQL and HTTP API. */

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export async function createApiKey(server: TestServer, role: 'ADMIN' | 'SUBMITTER' | 'WORKER', name = `${role} key`) {
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

/** Reserves an upload and PUTs the bytes to its signed URL; returns the upload id. */
export async function upload(
  server: TestServer,
  token: string,
  kind: 'SOURCE' | 'CERTS' | 'RESULT',
  bytes: Buffer,
  buildId?: string,
): Promise<string> {
  const data = expectData(
    await graphql<{ createUpload: { id: string; url: string } }>(
      server.graphqlUrl,
      `
        mutation ($input: CreateUploadInput!) {
          createUpload(input: $input) {
            id
            url
            expiresAt
          }
        }
      `,
      { input: { kind, filename: `${kind.toLowerCase()}.bin`, size: bytes.length, buildId } },
      token,
    ),
  );
  const response = await fetch(data.createUpload.url, { method: 'PUT', body: new Uint8Array(bytes) });
  if (response.status !== 200) throw new Error(`PUT ${kind} answered ${response.status}: ${await response.text()}`);
  return data.createUpload.id;
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
  input: { name?: string; platforms?: ('IOS' | 'ANDROID')[]; workerId?: string } = {},
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
      { input: { name: input.name ?? 'mac-1', platforms: input.platforms ?? ['IOS', 'ANDROID'], workerId: input.workerId } },
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

export async function heartbeat(server: TestServer, workerToken: string, buildId?: string, progress?: number) {
  return graphql<{ heartbeat: { cancelRequested: boolean; accessToken: string | null; build: { status: string } | null } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID, $progress: Int) {
        heartbeat(buildId: $buildId, progress: $progress) {
          cancelRequested
          accessToken
          expiresAt
          build {
            status
          }
        }
      }
    `,
    { buildId, progress },
    workerToken,
  );
}

export async function complete(server: TestServer, workerToken: string, buildId: string, result = randomBytes(256)) {
  const resultUploadId = await upload(server, workerToken, 'RESULT', result, buildId);
  return graphql<{ completeBuild: { id: string; status: string; resultSha256: string } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $resultUploadId: ID!) {
        completeBuild(buildId: $buildId, resultUploadId: $resultUploadId) {
          id
          status
          resultSha256
        }
      }
    `,
    { buildId, resultUploadId },
    workerToken,
  );
}

export async function buildStatus(server: TestServer, buildId: string): Promise<string> {
  const data = expectData(
    await graphql<{ build: { status: string } }>(
      server.graphqlUrl,
      `
        query ($id: ID!) {
          build(id: $id) {
            status
          }
        }
      `,
      { id: buildId },
      server.adminKey,
    ),
  );
  return data.build.status;
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
