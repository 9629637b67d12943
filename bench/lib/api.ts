// The Free Agent operations the benchmark drives, each one GraphQL request (or the PUT of a
// signed upload URL), exactly as test/helpers/flows.ts and a real worker agent send them.
import { randomBytes } from 'node:crypto';
import { graphql, putBytes } from './http.ts';

export type Platform = 'IOS' | 'ANDROID';

/** Where one server process answers. */
export interface Endpoint {
  graphqlUrl: string;
  wsUrl: string;
}

export async function createApiKey(endpoint: Endpoint, adminKey: string, role: 'SUBMITTER' | 'WORKER'): Promise<string> {
  const data = await graphql<{ createApiKey: { secret: string } }>(
    endpoint.graphqlUrl,
    adminKey,
    `
      mutation ($name: String!, $role: ApiKeyRole!) {
        createApiKey(name: $name, role: $role) {
          secret
        }
      }
    `,
    { name: `bench ${role.toLowerCase()}`, role },
  );
  return data.createApiKey.secret;
}

export async function createUpload(
  endpoint: Endpoint,
  token: string,
  input: { kind: 'SOURCE' | 'RESULT'; size: number; buildId?: string },
): Promise<{ id: string; url: string }> {
  const data = await graphql<{ createUpload: { id: string; url: string } }>(
    endpoint.graphqlUrl,
    token,
    `
      mutation ($input: CreateUploadInput!) {
        createUpload(input: $input) {
          id
          url
        }
      }
    `,
    { input: { ...input, filename: `${input.kind.toLowerCase()}.bin` } },
  );
  return data.createUpload;
}

/** createUpload + PUT: the upload id, ready to submit or complete with. */
export async function uploadBytes(
  endpoint: Endpoint,
  token: string,
  kind: 'SOURCE' | 'RESULT',
  bytes: Buffer,
  buildId?: string,
): Promise<string> {
  const ticket = await createUpload(endpoint, token, { kind, size: bytes.length, buildId });
  await putBytes(ticket.url, bytes);
  return ticket.id;
}

export const SOURCE_BYTES = 1024;
export const RESULT_BYTES = 64;

export function newSource(): Buffer {
  return randomBytes(SOURCE_BYTES);
}

export async function submitBuild(
  endpoint: Endpoint,
  submitterKey: string,
  input: { platform: Platform; sourceUploadId: string; priority?: number },
): Promise<string> {
  const data = await graphql<{ submitBuild: { id: string } }>(
    endpoint.graphqlUrl,
    submitterKey,
    `
      mutation ($input: SubmitBuildInput!) {
        submitBuild(input: $input) {
          id
        }
      }
    `,
    { input: { ...input, metadata: { appName: 'Bench', version: '1.0.0' } } },
  );
  return data.submitBuild.id;
}

export async function registerWorker(
  endpoint: Endpoint,
  workerKey: string,
  input: { name: string; platforms: Platform[] },
): Promise<{ workerId: string; token: string }> {
  const data = await graphql<{ registerWorker: { accessToken: string; worker: { id: string } } }>(
    endpoint.graphqlUrl,
    workerKey,
    `
      mutation ($input: RegisterWorkerInput!) {
        registerWorker(input: $input) {
          accessToken
          worker {
            id
          }
        }
      }
    `,
    { input: { ...input, capabilities: { agentVersion: 'bench' } } },
  );
  return { workerId: data.registerWorker.worker.id, token: data.registerWorker.accessToken };
}

/** What a worker agent asks for when it claims: the build and where to download its inputs. */
export async function claimBuild(endpoint: Endpoint, workerToken: string): Promise<string | null> {
  const data = await graphql<{ claimBuild: { id: string; sourceUrl: string | null } | null }>(
    endpoint.graphqlUrl,
    workerToken,
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
  );
  return data.claimBuild?.id ?? null;
}

export async function heartbeat(
  endpoint: Endpoint,
  workerToken: string,
  buildId: string,
  progress: number,
): Promise<{ cancelRequested: boolean; accessToken: string | null }> {
  const data = await graphql<{ heartbeat: { cancelRequested: boolean; accessToken: string | null } }>(
    endpoint.graphqlUrl,
    workerToken,
    `
      mutation ($buildId: ID, $progress: Int) {
        heartbeat(buildId: $buildId, progress: $progress) {
          cancelRequested
          accessToken
          expiresAt
        }
      }
    `,
    { buildId, progress },
  );
  return data.heartbeat;
}

export interface LogLine {
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  message: string;
}

export async function appendBuildLogs(
  endpoint: Endpoint,
  workerToken: string,
  buildId: string,
  firstSeq: number,
  lines: LogLine[],
): Promise<{ nextSeq: number; accepted: number }> {
  const data = await graphql<{ appendBuildLogs: { nextSeq: number; accepted: number } }>(
    endpoint.graphqlUrl,
    workerToken,
    `
      mutation ($id: ID!, $seq: Int!, $lines: [BuildLogInput!]!) {
        appendBuildLogs(buildId: $id, firstSeq: $seq, lines: $lines) {
          nextSeq
          accepted
          truncated
        }
      }
    `,
    { id: buildId, seq: firstSeq, lines },
  );
  return data.appendBuildLogs;
}

export interface TelemetryEvent {
  kind: string;
  data: Record<string, unknown>;
}

export async function recordBuildTelemetry(
  endpoint: Endpoint,
  workerToken: string,
  buildId: string,
  events: TelemetryEvent[],
): Promise<number> {
  const data = await graphql<{ recordBuildTelemetry: { accepted: number } }>(
    endpoint.graphqlUrl,
    workerToken,
    `
      mutation ($id: ID!, $events: [BuildTelemetryInput!]!) {
        recordBuildTelemetry(buildId: $id, events: $events) {
          accepted
        }
      }
    `,
    { id: buildId, events },
  );
  return data.recordBuildTelemetry.accepted;
}

export async function completeBuild(endpoint: Endpoint, workerToken: string, buildId: string, resultUploadId: string): Promise<void> {
  const data = await graphql<{ completeBuild: { status: string } }>(
    endpoint.graphqlUrl,
    workerToken,
    `
      mutation ($buildId: ID!, $resultUploadId: ID!) {
        completeBuild(buildId: $buildId, resultUploadId: $resultUploadId) {
          id
          status
        }
      }
    `,
    { buildId, resultUploadId },
  );
  if (data.completeBuild.status !== 'COMPLETED') throw new Error(`completeBuild left ${buildId} ${data.completeBuild.status}`);
}

/** Log lines shaped like a real build's (compiler output, ~80 bytes each). */
export function sampleLogLines(count: number, offset = 0): LogLine[] {
  return Array.from({ length: count }, (_, index) => {
    const n = offset + index;
    return {
      level: n % 50 === 49 ? 'WARN' : 'INFO',
      message: `CompileSwift normal arm64 /Users/ci/build/Sources/App/Feature${n % 997}/View${n % 31}.swift (in target 'App')`,
    };
  });
}

/** Telemetry shaped like a worker's resource samples and stage markers. */
export function sampleTelemetry(count: number, offset = 0): TelemetryEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const n = offset + index;
    return n % 20 === 0
      ? { kind: 'stage.started', data: { stage: `compile-${n % 7}`, target: 'App' } }
      : { kind: 'sample.cpu', data: { cpu: (n % 100) / 100, rssBytes: 1_500_000_000 + n, loadAverage: 3.2 } };
  });
}
