// The Free Agent operations the benchmark drives, each one GraphQL operation (or the PUT of a
// signed upload URL), exactly as test/helpers/flows.ts and a real worker agent send them. Each
// goes through a Caller: an HTTP POST with a key or token, or an operation on a worker's socket.
import { createHash, randomBytes } from 'node:crypto';
import { graphqlData, httpRequest } from '../../test/helpers/httpClient.ts';

/** Runs one query or mutation and returns its data; errors throw GraphQLRequestError (test/helpers/httpClient.ts). */
export type Caller = <T>(query: string, variables?: object) => Promise<T>;

/** Operations as HTTP POSTs to `endpoint` with `Authorization: Bearer <token>`, on the shared keep-alive agent. */
export function overHttp(endpoint: Pick<Endpoint, 'graphqlUrl'>, token: string): Caller {
  return (query, variables) => graphqlData(endpoint.graphqlUrl, query, variables, token);
}

export type Platform = 'IOS' | 'ANDROID';

/** Where one server process answers. */
export interface Endpoint {
  graphqlUrl: string;
  wsUrl: string;
}

export async function createApiKey(admin: Caller, role: 'SUBMITTER' | 'WORKER'): Promise<string> {
  const data = await admin<{ createApiKey: { secret: string } }>(
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

/** A single-PUT upload's ticket: where to PUT, with which headers (e.g. object storage's checksum). */
export interface UploadTicket {
  id: string;
  url: string;
  headers: { name: string; value: string }[];
}

export async function createUpload(
  call: Caller,
  input: { kind: 'SOURCE' | 'RESULT'; size: number; sha256?: string; buildId?: string },
): Promise<UploadTicket> {
  const data = await call<{ createUpload: UploadTicket }>(
    `
      mutation ($input: CreateUploadInput!) {
        createUpload(input: $input) {
          id
          url
          headers {
            name
            value
          }
        }
      }
    `,
    { input: { ...input, filename: `${input.kind.toLowerCase()}.bin` } },
  );
  return data.createUpload;
}

/** PUTs bytes to a signed upload URL with the ticket's headers; throws unless the answer is 200. */
export async function putBytes(url: string, bytes: Buffer, headers: { name: string; value: string }[] = []): Promise<void> {
  const extra = Object.fromEntries(headers.map((header) => [header.name, header.value]));
  const answer = await httpRequest(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...extra }, body: bytes });
  if (answer.status !== 200) throw new Error(`PUT ${new URL(url).pathname} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
}

/** createUpload (declaring the sha256, as the agent and CLI do) + PUT: the upload id, ready to submit or complete with. */
export async function uploadBytes(call: Caller, kind: 'SOURCE' | 'RESULT', bytes: Buffer, buildId?: string): Promise<string> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const ticket = await createUpload(call, { kind, size: bytes.length, sha256, buildId });
  await putBytes(ticket.url, bytes, ticket.headers);
  return ticket.id;
}

export const SOURCE_BYTES = 1024;
export const RESULT_BYTES = 64;

export function newSource(): Buffer {
  return randomBytes(SOURCE_BYTES);
}

export async function submitBuild(call: Caller, input: { platform: Platform; sourceUploadId: string; priority?: number }): Promise<string> {
  const data = await call<{ submitBuild: { id: string } }>(
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
  call: Caller,
  input: { name: string; platforms: Platform[] },
): Promise<{ workerId: string; token: string }> {
  const data = await call<{ registerWorker: { accessToken: string; worker: { id: string } } }>(
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
export async function claimBuild(call: Caller): Promise<string | null> {
  const data = await call<{ claimBuild: { id: string; sourceUrl: string | null } | null }>(
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
  call: Caller,
  buildId: string,
  progress: number,
): Promise<{ cancelRequested: boolean; accessToken: string | null }> {
  const data = await call<{ heartbeat: { cancelRequested: boolean; accessToken: string | null } }>(
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
  call: Caller,
  buildId: string,
  firstSeq: number,
  lines: LogLine[],
): Promise<{ nextSeq: number; accepted: number }> {
  const data = await call<{ appendBuildLogs: { nextSeq: number; accepted: number } }>(
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

export async function recordBuildTelemetry(call: Caller, buildId: string, events: TelemetryEvent[]): Promise<number> {
  const data = await call<{ recordBuildTelemetry: { accepted: number } }>(
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

export async function completeBuild(call: Caller, buildId: string, resultUploadId: string): Promise<void> {
  const data = await call<{ completeBuild: { status: string } }>(
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
