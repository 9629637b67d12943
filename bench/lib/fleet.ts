// What the scenarios share: a server with its keys, a fleet of agents, pre-uploaded sources,
// submitters, CPU meters and the shape of a scenario's result.
import type { TestServer } from '../../test/helpers/server.ts';
import { BenchAgent, type OperationTransport, type Recorder } from './agent.ts';
import { type Caller, createApiKey, type Endpoint, newSource, overHttp, type Platform, submitBuild, uploadBytes } from './api.ts';
import type { BenchEnvironment } from './environment.ts';
import { clusterCpuSeconds, cpuSeconds, CpuMeter, mainThreadCpuSeconds, selfCpuSeconds } from './proc.ts';
import { mapConcurrent } from './stats.ts';

export interface BenchContext {
  env: BenchEnvironment;
  quick: boolean;
  /** A progress line on stderr (the table goes to stdout). */
  log(message: string): void;
}

/** One line of the printed table. */
export interface TableRow {
  scenario: string;
  result: string;
  details: string;
}

/** A figure checked against the target. */
export interface TargetCheck {
  name: string;
  measured: number;
  unit: string;
  /** e.g. "≤ 10" or "≥ 800" (in `unit`). */
  target: string;
  ok: boolean;
  /** Which anchor to print beside it, and how our figure compares to it. */
  anchor?: { key: AnchorKey; kind: 'rate' | 'latency' };
  note?: string;
}

export type AnchorKey = 'pgClaimTps' | 'graphileJobsPerSecond' | 'graphileLatencyP50' | 'graphileLatencyP99';

export interface ScenarioResult {
  rows: TableRow[];
  targets: TargetCheck[];
  anchors?: Partial<Record<AnchorKey, number>>;
  raw: Record<string, unknown>;
}

/** A server with the keys a benchmark needs, as an endpoint agents and submitters use. */
export interface ServerHandle {
  server: TestServer;
  endpoint: Endpoint;
  submitterKey: string;
  workerKey: string;
  /** Submits and uploads sources with the submitter key, over HTTP as CI does. */
  submitter: Caller;
  /** Registers workers with the worker key. */
  registrar: Caller;
}

/** Makes a submitter and a worker key on `server`, or uses the given ones (keys are rows in the shared database). */
export async function prepareServer(server: TestServer, keys?: { submitterKey: string; workerKey: string }): Promise<ServerHandle> {
  const endpoint = { graphqlUrl: server.graphqlUrl, wsUrl: server.wsUrl };
  const admin = overHttp(endpoint, server.adminKey);
  const [submitterKey, workerKey] = keys
    ? [keys.submitterKey, keys.workerKey]
    : await Promise.all([createApiKey(admin, 'SUBMITTER'), createApiKey(admin, 'WORKER')]);
  return {
    server,
    endpoint,
    submitterKey,
    workerKey,
    submitter: overHttp(endpoint, submitterKey),
    registrar: overHttp(endpoint, workerKey),
  };
}

/**
 * Registers `count` agents (spread over the handles round-robin), connects their sockets and
 * subscribes them. Registration and connection run `concurrency` at a time.
 */
export async function startFleet(
  handles: ServerHandle[],
  count: number,
  recorder: Recorder,
  options: { platforms?: Platform[]; pollMs?: [number, number]; concurrency?: number; operations?: OperationTransport } = {},
): Promise<BenchAgent[]> {
  const agents = await mapConcurrent(
    Array.from({ length: count }, (_, index) => index),
    options.concurrency ?? 25,
    async (index) => {
      const handle = handles[index % handles.length]!;
      const agent = await BenchAgent.register({
        index,
        endpoint: handle.endpoint,
        registrar: handle.registrar,
        recorder,
        platforms: options.platforms,
        pollMs: options.pollMs,
        operations: options.operations,
      });
      await agent.connect();
      return agent;
    },
  );
  return agents;
}

export async function stopFleet(agents: BenchAgent[]): Promise<void> {
  await Promise.all(agents.map((agent) => agent.stop()));
}

/** Source uploads made ahead of a timed run (createUpload + PUT each), spread over the handles. */
export async function preUploadSources(
  handles: ServerHandle[],
  count: number,
  concurrency = 16,
): Promise<{ ids: string[]; seconds: number }> {
  const startedAt = performance.now();
  const ids = await mapConcurrent(
    Array.from({ length: count }, (_, index) => index),
    concurrency,
    (index) => {
      const handle = handles[index % handles.length]!;
      return uploadBytes(handle.submitter, 'SOURCE', newSource());
    },
  );
  return { ids, seconds: (performance.now() - startedAt) / 1000 };
}

export interface Submission {
  buildId: string;
  /** performance.now() when submitBuild was sent and when its answer arrived. */
  sentAt: number;
  answeredAt: number;
  server: number;
}

/**
 * Uploads a new source and submits a build with it, as a user's CLI does (createUpload, PUT,
 * submitBuild), for `count` builds, `concurrency` at a time; build i goes to handle i mod n.
 */
export async function uploadAndSubmitAll(handles: ServerHandle[], count: number, concurrency: number): Promise<Submission[]> {
  return mapConcurrent(
    Array.from({ length: count }, (_, index) => index),
    concurrency,
    async (index) => {
      const server = index % handles.length;
      const handle = handles[server]!;
      const sourceUploadId = await uploadBytes(handle.submitter, 'SOURCE', newSource());
      return submitOne(handle, sourceUploadId, server);
    },
  );
}

/** Submits one build per source id, `concurrency` at a time; build i goes to handle i mod n. */
export async function submitAll(
  handles: ServerHandle[],
  sourceIds: string[],
  concurrency: number,
  onSubmitted?: (submission: Submission) => void,
): Promise<Submission[]> {
  return mapConcurrent(sourceIds, concurrency, async (sourceUploadId, index) => {
    const server = index % handles.length;
    const submission = await submitOne(handles[server]!, sourceUploadId, server);
    onSubmitted?.(submission);
    return submission;
  });
}

export async function submitOne(handle: ServerHandle, sourceUploadId: string, server = 0): Promise<Submission> {
  const sentAt = performance.now();
  const buildId = await submitBuild(handle.submitter, { platform: 'ANDROID', sourceUploadId });
  return { buildId, sentAt, answeredAt: performance.now(), server };
}

/** How cpuMeter names a server's event loop: `server event loop`, `server2 event loop`… */
const EVENT_LOOP = ' event loop';

/** The servers' event loops' CPU in a cpuMeter's figures, as % of one core (summed over servers). */
export function eventLoopPercent(percent: Record<string, number>): number {
  return Object.entries(percent)
    .filter(([name]) => name.endsWith(EVENT_LOOP))
    .reduce((sum, [, value]) => sum + value, 0);
}

/**
 * A CPU meter over the servers (each also its event loop's thread, the one a Node process cannot
 * spread), the PostgreSQL cluster (when local) and this client.
 */
export function cpuMeter(env: BenchEnvironment, servers: TestServer[], extra: Record<string, () => number> = {}): CpuMeter {
  const sources: Record<string, () => number> = {};
  const eventLoops: Record<string, () => number> = {};
  servers.forEach((server, index) => {
    const name = servers.length === 1 ? 'server' : `server${index + 1}`;
    sources[name] = () => cpuSeconds(server.pid);
    eventLoops[`${name}${EVENT_LOOP}`] = () => mainThreadCpuSeconds(server.pid);
  });
  if (env.postmasterPid) {
    const postmaster = env.postmasterPid;
    sources.postgres = () => clusterCpuSeconds(postmaster);
  }
  sources.client = selfCpuSeconds;
  return new CpuMeter({ ...sources, ...extra }, eventLoops);
}

/** "server 95% postgres 60% client 30%": CPU as % of one core (the machine has 2). */
export function describeCpu(percent: Record<string, number>): string {
  return Object.entries(percent)
    .map(([name, value]) => `${name} ${Math.round(value)}%`)
    .join(' ');
}
