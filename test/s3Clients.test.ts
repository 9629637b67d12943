import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutBucketCorsCommand } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from '../worker/src/client/api.ts';
import { TransferError, uploadFile, type UploadTicket } from '../worker/src/client/artifacts.ts';
import { type AgentProcess, startAgent } from './helpers/agent.ts';
import { AGENT_BUNDLE } from './helpers/agentBundle.ts';
import { launchChromium } from './helpers/browser.ts';
import { ensureConsoleBuilt, openConsole } from './helpers/console.ts';
import { createApiKey, eventually, readBuild, sha256, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { type S3Peer, startS3Peer } from './helpers/s3.ts';

// The clients of the upload contract against a server that stores artifacts in a bucket
// (FREE_AGENT_STORAGE=s3, a local S3 peer): the bundled agent builds, the bundled CLI submits
// and downloads, the console's submit page uploads from a real browser. Parts are S3's minimum
// (5 MiB) and the files larger, so every client takes the multipart path.

const PART_BYTES = 5 * 1024 ** 2;
const UUID = '[0-9a-f-]{36}';
/** The build: the source's random file twice over, a result of three parts. */
const COMMAND = 'cat random.bin random.bin > "$FREE_AGENT_RESULT"';

let peer: S3Peer;
const s3Env: Record<string, string> = {};
// Before useServer's own beforeAll, which reads s3Env when it starts the server.
beforeAll(async () => {
  peer = await startS3Peer({ partBytes: PART_BYTES });
  Object.assign(s3Env, peer.serverEnv);
});
afterAll(async () => {
  await peer?.close();
});
const { server } = useServer(s3Env);

let tempDir: string;
let submitterKey: string;
let agent: AgentProcess;
let browser: Browser | undefined;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-s3-clients-'));
  submitterKey = (await createApiKey(server, 'SUBMITTER', 's3 clients')).secret;
  const workerKey = (await createApiKey(server, 'WORKER', 's3 clients')).secret;
  agent = await startAgent({ serverUrl: server.url, key: workerKey, command: COMMAND, args: ['--poll-interval', '1'] });
  await agent.waitForLine(/registered as worker/);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await browser?.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

/** A .tar.gz of one incompressible `random.bin` of `bytes` under tempDir; its path and that file's bytes. */
async function sourceArchive(name: string, bytes: number): Promise<{ archive: string; random: Buffer }> {
  const directory = await mkdtemp(path.join(tempDir, 'src-'));
  const random = randomBytes(bytes);
  await writeFile(path.join(directory, 'random.bin'), random);
  const archive = path.join(tempDir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', directory, '.']);
  return { archive, random };
}

/** Runs the bundled CLI with the submitter's key to its end. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: tempDir,
    FREE_AGENT_URL: server.url,
    FREE_AGENT_KEY: submitterKey,
    FREE_AGENT_CONFIG: path.join(tempDir, 'none.json'),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [AGENT_BUNDLE, ...args], { env, cwd: tempDir }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/**
 * Checks the premise of these tests: this server has a client send a file of these bytes in
 * parts (no single-PUT URL, one part per started PART_BYTES). It reserves an upload that is never sent.
 */
async function expectSentInParts(bytes: Buffer): Promise<void> {
  const { createUpload } = expectData(
    await graphql<{ createUpload: { url: string | null; partCount: number } }>(
      server.graphqlUrl,
      'mutation ($input: CreateUploadInput!) { createUpload(input: $input) { url partCount } }',
      { input: { kind: 'SOURCE', filename: 'probe.tar.gz', size: bytes.length, sha256: sha256(bytes) } },
      submitterKey,
    ),
  );
  expect(createUpload).toEqual({ url: null, partCount: Math.ceil(bytes.length / PART_BYTES) });
}

/** The bucket's object holding exactly these bytes (same size and sha256), if any. */
async function storedObject(bytes: Buffer) {
  const digest = sha256(bytes);
  return (await peer.objects()).find((object) => object.sha256 === digest && object.size === bytes.length);
}

describe('with artifacts in a bucket', () => {
  it('the CLI submits in parts with certificates, the agent builds and uploads its result in parts, the CLI downloads it checked', async () => {
    const { archive, random } = await sourceArchive('app', PART_BYTES + 1024 ** 2);
    const certs = path.join(tempDir, 'certs.p12');
    await writeFile(certs, randomBytes(3000));
    const result = Buffer.concat([random, random]);
    const downloads = path.join(tempDir, 'downloads');
    await mkdir(downloads);

    const submitted = await cli([
      'submit',
      archive,
      '--platform',
      'android',
      '--certs',
      certs,
      '--wait',
      '--download',
      downloads,
      '--json',
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const build = JSON.parse(submitted.stdout) as {
      id: string;
      status: string;
      download: { path: string; size: number; sha256: string };
    };
    expect(build.status).toBe('COMPLETED');
    // The default name is the result's original file name, which the agent gives as <id>.apk.
    expect(build.download).toEqual({ path: path.join(downloads, `${build.id}.apk`), size: result.length, sha256: sha256(result) });
    expect(sha256(await readFile(build.download.path))).toBe(sha256(result));

    const stored = expectData(await readBuild(server, submitterKey, build.id, 'sourceSha256 sourceSize resultSha256 resultSize')).build as {
      sourceSha256: string;
      sourceSize: number;
      resultSha256: string;
      resultSize: number;
    };
    const source = await readFile(archive);
    expect(stored).toEqual({
      sourceSha256: sha256(source),
      sourceSize: source.length,
      resultSha256: sha256(result),
      resultSize: result.length,
    });
    // Source (2 parts) and result (3 parts) are in the bucket byte for byte (no chunk framing);
    // certificates stay with the server.
    await expectSentInParts(source);
    await expectSentInParts(result);
    expect(await storedObject(source)).toBeDefined();
    expect(await storedObject(result)).toBeDefined();
    expect(await storedObject(await readFile(certs))).toBeUndefined();

    const again = await cli(['download', build.id, '-o', path.join(tempDir, 'again.apk'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ path: path.join(tempDir, 'again.apk'), size: result.length, sha256: sha256(result) });
  });

  it("a PUT the bucket refuses is reported with S3's code and message, and nothing is stored", async () => {
    const bytes = randomBytes(1000);
    const file = path.join(tempDir, 'small.zip');
    await writeFile(file, bytes);
    const api = httpClient(server.url, () => submitterKey);
    // Declared with another file's sha256: the ticket's checksum header does not match these bytes.
    const { createUpload } = await api.request<{ createUpload: UploadTicket }>(
      'mutation ($input: CreateUploadInput!) { createUpload(input: $input) { id url headers { name value } partSize partCount } }',
      { input: { kind: 'SOURCE', filename: 'small.zip', size: bytes.length, sha256: sha256(randomBytes(1000)) } },
    );
    expect(createUpload.partCount).toBe(0);
    const refused = (await uploadFile(api, createUpload, file).catch((error: unknown) => error)) as TransferError;
    expect(refused).toBeInstanceOf(TransferError);
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 400, code: 'BadDigest' });
    expect(refused.message).toContain('did not match');
    expect(await storedObject(bytes)).toBeUndefined();
  });

  it('the console submit page hashes and uploads an archive in parts straight to the bucket, and the build runs', async () => {
    // A browser PUTs to the bucket's origin: the bucket must allow it and show the ETag of each part.
    await peer.client.send(
      new PutBucketCorsCommand({
        Bucket: peer.bucket,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: [server.url], AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }],
        },
      }),
    );
    const { archive, random } = await sourceArchive('console', PART_BYTES + 512 * 1024);
    await ensureConsoleBuilt();
    browser = await launchChromium();
    const page = await openConsole(browser, server, { key: server.adminKey, path: '/submit' });
    await page.getByRole('heading', { level: 1, name: 'Submit a build' }).waitFor();
    await page.locator('input[type="file"]').first().setInputFiles(archive);
    await page.getByRole('combobox', { name: /^Platform/ }).click();
    await page.getByRole('option', { name: 'ANDROID' }).click();
    await page.getByRole('button', { name: 'Submit build' }).click();
    await page.waitForURL(new RegExp(`/builds/${UUID}$`), { timeout: 30_000 });
    const buildId = new URL(page.url()).pathname.split('/').pop()!;
    await page.context().close();

    const source = await readFile(archive);
    await expectSentInParts(source);
    expect(await storedObject(source)).toBeDefined();
    const done = await eventually(
      async () => {
        const { build } = expectData(await readBuild(server, server.adminKey, buildId, 'status sourceSha256 resultSha256'));
        const read = build as { status: string; sourceSha256: string; resultSha256: string | null };
        return read.status === 'COMPLETED' ? read : undefined;
      },
      30_000,
      'the console-submitted build to complete',
    );
    expect(done).toEqual({ status: 'COMPLETED', sourceSha256: sha256(source), resultSha256: sha256(Buffer.concat([random, random])) });
  });
});
