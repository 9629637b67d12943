// `pnpm bench:s3`: a 1 GiB build result uploaded (multipart, presigned parts) and downloaded
// (presigned GET) through a server that keeps artifacts in S3-compatible storage (s3rver on
// loopback, as the tests use), sampling the server's RSS and CPU the whole time: the bytes go
// straight between client and bucket, so both must stay flat. The anchor is the same bytes PUT
// and GET straight to the bucket with the AWS SDK in this run, with no Free Agent server involved.
// A benchmark prints figures and asserts none; it fails only when a transfer is broken.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3Peer } from '../test/helpers/s3.ts';
import type { TestServer } from '../test/helpers/server.ts';
import { BenchEnvironment, secret } from './lib/environment.ts';
import { prepareServer } from './lib/fleet.ts';
import { type Caller, claimBuild, completeBuild, newSource, overHttp, registerWorker, submitBuild, uploadBytes } from './lib/api.ts';
import { cpuSeconds, rssKiB } from './lib/proc.ts';
import { round } from './lib/stats.ts';

const MiB = 1024 * 1024;
const TOTAL_BYTES = 1024 * MiB;
const PART_BYTES = 64 * MiB;
const SAMPLE_INTERVAL_MS = 100;
const resultsFile = fileURLToPath(new URL('./results/s3-transfer.json', import.meta.url));

/** One part's bytes: random, but made once and reused, so generating them is not what is timed. */
const partBytes = (() => {
  const block = randomBytes(PART_BYTES);
  return (number: number) => {
    // Each part differs in its first bytes, so no two parts (and no re-run) are the same object.
    const part = Buffer.from(block);
    part.writeUInt32BE(number, 0);
    return part;
  };
})();
const partCount = TOTAL_BYTES / PART_BYTES;

interface ServerSample {
  ms: number;
  rssMiB: number;
  cpuSeconds: number;
}

/** Samples the server's RSS and CPU while `run` goes; answers the figures of the window. */
async function watched<T>(server: TestServer, run: () => Promise<T>) {
  const samples: ServerSample[] = [];
  const startedAt = performance.now();
  const sample = () =>
    samples.push({ ms: performance.now() - startedAt, rssMiB: rssKiB(server.pid) / 1024, cpuSeconds: cpuSeconds(server.pid) });
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  try {
    const value = await run();
    sample();
    const seconds = (performance.now() - startedAt) / 1000;
    const rss = samples.map((reading) => reading.rssMiB);
    return {
      value,
      seconds: round(seconds, 2),
      mibPerSecond: round(TOTAL_BYTES / MiB / seconds, 1),
      serverRssBeforeMiB: round(rss[0]!, 1),
      serverRssPeakMiB: round(Math.max(...rss), 1),
      serverCpuSeconds: round(samples.at(-1)!.cpuSeconds - samples[0]!.cpuSeconds, 2),
      serverCpuPercent: round(((samples.at(-1)!.cpuSeconds - samples[0]!.cpuSeconds) / seconds) * 100, 1),
    };
  } finally {
    clearInterval(timer);
  }
}

async function uploadResult(worker: Caller, buildId: string): Promise<{ uploadId: string; sha256: string }> {
  const whole = createHash('sha256');
  const partHashes: string[] = [];
  for (let number = 1; number <= partCount; number++) {
    const part = partBytes(number);
    whole.update(part);
    partHashes.push(createHash('sha256').update(part).digest('hex'));
  }
  const sha256 = whole.digest('hex');
  const { createUpload: ticket } = await worker<{ createUpload: { id: string; partCount: number } }>(
    `mutation ($input: CreateUploadInput!) { createUpload(input: $input) { id partCount } }`,
    { input: { kind: 'RESULT', filename: 'app.ipa', size: TOTAL_BYTES, sha256, buildId } },
  );
  if (ticket.partCount !== partCount) throw new Error(`expected ${partCount} parts, the server planned ${ticket.partCount}`);
  const { createUploadParts: urls } = await worker<{
    createUploadParts: { number: number; url: string; headers: { name: string; value: string }[] }[];
  }>(
    `mutation ($id: ID!, $parts: [UploadPartInput!]!) { createUploadParts(uploadId: $id, parts: $parts) { number url headers { name value } } }`,
    { id: ticket.id, parts: partHashes.map((hash, index) => ({ number: index + 1, sha256: hash })) },
  );
  const uploaded = [];
  for (const signed of urls) {
    const headers = Object.fromEntries(signed.headers.map((header) => [header.name, header.value]));
    const put = await putPart(signed.url, partBytes(signed.number), headers);
    if (!put.ok) throw new Error(`part ${signed.number}: HTTP ${put.status} ${await put.text()}`);
    uploaded.push({ number: signed.number, etag: put.headers.get('etag')!, sha256: partHashes[signed.number - 1]! });
  }
  await worker(`mutation ($id: ID!, $parts: [UploadedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) { id } }`, {
    id: ticket.id,
    parts: uploaded,
  });
  return { uploadId: ticket.id, sha256 };
}

/**
 * PUTs one part, again on a connection error (as the agent does): s3rver now and then resets a
 * kept-alive connection under a large body. Answers the response; throws after the third try.
 */
async function putPart(url: string, body: Buffer, headers: Record<string, string>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, { method: 'PUT', body: new Uint8Array(body), headers });
    } catch (error) {
      if (attempt === 3) throw error;
      process.stderr.write(`[s3] part PUT failed (${(error as Error & { cause?: { code?: string } }).cause?.code ?? error}), again\n`);
    }
  }
}

/** GETs `url`, hashing the body as it streams; answers its sha256 (hex). */
async function downloadHash(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download: HTTP ${response.status}`);
  const hash = createHash('sha256');
  for await (const chunk of response.body) hash.update(chunk);
  return hash.digest('hex');
}

async function main() {
  const peer = await startS3Peer();
  const env = await BenchEnvironment.open({
    env: {
      ...peer.serverEnv,
      FREE_AGENT_S3_PART_BYTES: String(PART_BYTES),
      FREE_AGENT_MAX_RESULT_BYTES: String(2 * TOTAL_BYTES),
      FREE_AGENT_ADMIN_KEY: `fak_${secret(43)}`,
      FREE_AGENT_LOG_LEVEL: 'info',
      // The transfer may take longer than the default heartbeat and offline timeouts; this client sends no heartbeats.
      FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: '3600',
      FREE_AGENT_WORKER_OFFLINE_SECONDS: '3600',
    },
  });
  try {
    const database = await env.createDatabase('s3_transfer');
    const server = await env.startServer(database);
    const handle = await prepareServer(server);
    const sourceUploadId = await uploadBytes(handle.submitter, 'SOURCE', newSource());
    const buildId = await submitBuild(handle.submitter, { platform: 'ANDROID', sourceUploadId });

    process.stderr.write(`[s3] anchor: ${TOTAL_BYTES / MiB} MiB PUT and GET straight to the bucket\n`);
    const anchorKey = `anchor/${randomBytes(4).toString('hex')}`;
    const anchorUpload = await watched(server, async () => {
      for (let number = 1; number <= partCount; number++) {
        await peer.client.send(new PutObjectCommand({ Bucket: peer.bucket, Key: `${anchorKey}-${number}`, Body: partBytes(number) }));
      }
    });
    const anchorDownload = await watched(server, async () => {
      for (let number = 1; number <= partCount; number++) {
        const got = await peer.client.send(new GetObjectCommand({ Bucket: peer.bucket, Key: `${anchorKey}-${number}` }));
        for await (const _chunk of got.Body as AsyncIterable<Buffer>);
      }
    });

    const registered = await registerWorker(handle.registrar, { name: 's3-bench', platforms: ['ANDROID'] });
    const worker = overHttp(handle.endpoint, registered.token);
    if ((await claimBuild(worker)) !== buildId) throw new Error('the worker did not claim the build');
    process.stderr.write(`[s3] ${TOTAL_BYTES / MiB} MiB result: presigned multipart upload, then presigned download\n`);
    const upload = await watched(server, () => uploadResult(worker, buildId));
    await completeBuild(worker, buildId, upload.value.uploadId);
    const { build } = await handle.submitter<{ build: { resultUrl: string; resultSha256: string } }>(
      `query ($id: ID!) { build(id: $id) { resultUrl resultSha256 } }`,
      { id: buildId },
    );
    const download = await watched(server, () => downloadHash(build.resultUrl));
    if (download.value !== upload.value.sha256 || build.resultSha256 !== upload.value.sha256)
      throw new Error(`checksum mismatch: uploaded ${upload.value.sha256}, recorded ${build.resultSha256}, downloaded ${download.value}`);

    const strip = <T extends { value: unknown }>({ value: _value, ...figures }: T) => figures;
    const figures = {
      bytes: TOTAL_BYTES,
      partBytes: PART_BYTES,
      upload: strip(upload),
      download: strip(download),
      anchorUpload: strip(anchorUpload),
      anchorDownload: strip(anchorDownload),
      uploadVsAnchor: round(upload.mibPerSecond / anchorUpload.mibPerSecond, 2),
      downloadVsAnchor: round(download.mibPerSecond / anchorDownload.mibPerSecond, 2),
    };
    console.log(JSON.stringify(figures, null, 2));
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(resultsFile, JSON.stringify({ at: new Date().toISOString(), node: process.version, ...figures }, null, 2));
  } finally {
    await env.close();
    await peer.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
