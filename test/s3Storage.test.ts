import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import {
  claim,
  complete,
  createApiKey,
  createUpload,
  eventually,
  putToTicket,
  readBuild,
  registerWorker,
  sha256,
  submitBuild,
  upload,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { startS3Peer, type S3Peer } from './helpers/s3.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// S3's smallest part: uploads past it are multipart.
const PART_BYTES = 5 * 1024 * 1024;

let peer: S3Peer;
let database: TestDatabase;
let serverA: TestServer;
let serverB: TestServer;
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  peer = await startS3Peer();
  database = await createTestDatabase();
  // Two servers on one database and bucket share their secrets, as a fleet behind a load balancer does.
  const env = {
    ...peer.serverEnv,
    FREE_AGENT_S3_PART_BYTES: String(PART_BYTES),
    FREE_AGENT_RESCUE_INTERVAL_SECONDS: '0.5',
    FREE_AGENT_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    FREE_AGENT_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    FREE_AGENT_ADMIN_KEY: `fak_${randomBytes(32).toString('base64url')}`,
  };
  [serverA, serverB] = await Promise.all([
    startServer({ databaseUrl: database.url, env }),
    startServer({ databaseUrl: database.url, env }),
  ]);
  submitter = (await createApiKey(serverA, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(serverA, 'WORKER')).secret;
});

afterAll(async () => {
  await serverA?.stop();
  await serverB?.stop();
  await database?.drop();
  await peer?.close();
});

async function download(url: string): Promise<{ bytes: Buffer; response: Response }> {
  const response = await fetch(url);
  return { bytes: Buffer.from(await response.arrayBuffer()), response };
}

const completeUpload = (server: TestServer, token: string, uploadId: string, parts?: { number: number; etag: string; sha256: string }[]) =>
  graphql<{ completeUpload: { id: string; size: number; sha256: string } }>(
    server.graphqlUrl,
    `
      mutation ($uploadId: ID!, $parts: [UploadedPartInput!]) {
        completeUpload(uploadId: $uploadId, parts: $parts) {
          id
          size
          sha256
        }
      }
    `,
    { uploadId, parts },
    token,
  );

const createUploadParts = (server: TestServer, token: string, uploadId: string, parts: { number: number; sha256: string }[]) =>
  graphql<{ createUploadParts: { number: number; url: string; headers: { name: string; value: string }[] }[] }>(
    server.graphqlUrl,
    `
      mutation ($uploadId: ID!, $parts: [UploadPartInput!]!) {
        createUploadParts(uploadId: $uploadId, parts: $parts) {
          number
          url
          headers {
            name
            value
          }
        }
      }
    `,
    { uploadId, parts },
    token,
  );

const submitSource = (server: TestServer, sourceUploadId: string) =>
  graphql<{ submitBuild: { id: string } }>(
    server.graphqlUrl,
    `
      mutation ($input: SubmitBuildInput!) {
        submitBuild(input: $input) {
          id
        }
      }
    `,
    { input: { platform: 'ANDROID', sourceUploadId } },
    submitter,
  );

describe('artifacts in S3-compatible storage', () => {
  it('runs a build submitted on server A, claimed and completed through server B, with every byte in the bucket', async () => {
    const source = randomBytes(300 * 1024);
    const result = randomBytes(200 * 1024);
    const build = await submitBuild(serverA, submitter, { source });
    const worker = await registerWorker(serverB, workerKey);
    const claimed = (await claim(serverB, worker.token))!;
    expect(claimed.id).toBe(build.id);

    // The source URL points at the bucket, not at either server: the bytes bypass them.
    expect(claimed.sourceUrl.startsWith(peer.endpoint)).toBe(true);
    const fetched = await download(claimed.sourceUrl);
    expect(fetched.response.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(sha256(source));

    expectData(await complete(serverB, worker.token, build.id, result));
    for (const server of [serverA, serverB]) {
      const read = expectData(
        await readBuild(server, submitter, build.id, 'status resultUrl resultSha256 resultSize resultFilename'),
      ).build;
      expect(read).toMatchObject({
        status: 'COMPLETED',
        resultSha256: sha256(result),
        resultSize: result.length,
        resultFilename: 'result.bin',
      });
      expect(read.resultUrl.startsWith(peer.endpoint)).toBe(true);
      const got = await download(read.resultUrl);
      expect(sha256(got.bytes)).toBe(sha256(result));
      expect(got.response.headers.get('content-disposition')).toContain('filename="result.bin"');
      expect(got.response.headers.get('cache-control')).toBe('private, no-store');
    }

    // What the bucket holds is exactly the bytes sent: sizes and checksums, no transfer framing.
    const stored = await peer.objects();
    expect(stored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ size: source.length, sha256: sha256(source) }),
        expect.objectContaining({ size: result.length, sha256: sha256(result) }),
      ]),
    );
  });

  it('refuses to start when the bucket cannot be used, naming it', async () => {
    const starting = startServer({ databaseUrl: database.url, env: { ...peer.serverEnv, FREE_AGENT_S3_BUCKET: 'no-such-bucket' } });
    await expect(starting).rejects.toThrow(/exited .*before listening[\s\S]*The S3 bucket \\"no-such-bucket\\" cannot be used: NotFound/);
  });

  it('signs the exact length and checksum into an upload URL, and refuses an upload without a sha256', async () => {
    const bytes = randomBytes(1000);
    const ticket = expectData(
      await createUpload(serverA, submitter, { kind: 'SOURCE', filename: 'a.zip', size: bytes.length, sha256: sha256(bytes) }),
    ).createUpload;
    const url = new URL(ticket.url!);
    expect(url.origin).toBe(peer.endpoint);
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'x-amz-checksum-sha256']),
    );
    expect(ticket.headers).toEqual([{ name: 'x-amz-checksum-sha256', value: Buffer.from(sha256(bytes), 'hex').toString('base64') }]);
    expect(ticket.partCount).toBe(0);

    const message = expectCode(await createUpload(serverA, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 10 }), 'BAD_USER_INPUT');
    expect(message).toMatch(/sha256 is required/);
  });

  it('never completes an altered or a truncated upload, and accepts the right bytes on the same URL after', async () => {
    const bytes = randomBytes(64 * 1024);
    const ticket = expectData(
      await createUpload(serverA, submitter, { kind: 'SOURCE', filename: 'a.zip', size: bytes.length, sha256: sha256(bytes) }),
    ).createUpload;

    const altered = Buffer.from(bytes);
    altered[100] ^= 0xff;
    const refused = await putToTicket(ticket, altered);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('BadDigest');
    expect(expectCode(await submitSource(serverA, ticket.id), 'BAD_USER_INPUT')).toMatch(/no bytes yet/);

    // A body shorter than declared, as storage that ignored the signed length would keep it.
    const truncated = bytes.subarray(0, 1000);
    const headers = { 'x-amz-checksum-sha256': Buffer.from(sha256(truncated), 'hex').toString('base64') };
    expect((await fetch(ticket.url!, { method: 'PUT', body: new Uint8Array(truncated), headers })).status).toBe(200);
    expect(expectCode(await completeUpload(serverB, submitter, ticket.id), 'BAD_USER_INPUT')).toMatch(/holds 1000 bytes/);
    expect(expectCode(await submitSource(serverA, ticket.id), 'BAD_USER_INPUT')).toMatch(/no bytes yet/);
    expect((await peer.objects()).some((object) => object.size === 1000)).toBe(false);

    expect((await putToTicket(ticket, bytes)).status).toBe(200);
    expect(expectData(await completeUpload(serverB, submitter, ticket.id)).completeUpload).toEqual({
      id: ticket.id,
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expectData(await submitSource(serverA, ticket.id));
  });

  it('uploads past the part size in parts, each bound to its size and checksum, and assembles them', async () => {
    const bytes = randomBytes(2 * PART_BYTES + 12_345);
    const ticket = expectData(
      await createUpload(serverA, submitter, { kind: 'SOURCE', filename: 'big.zip', size: bytes.length, sha256: sha256(bytes) }),
    ).createUpload;
    expect(ticket).toMatchObject({ url: null, headers: [], partSize: PART_BYTES, partCount: 3 });
    const parts = [1, 2, 3].map((number) => {
      const body = bytes.subarray((number - 1) * PART_BYTES, number * PART_BYTES);
      return { number, body, sha256: sha256(body) };
    });

    // Not before every part is there.
    expectCode(await completeUpload(serverA, submitter, ticket.id, []), 'BAD_USER_INPUT');
    const urls = expectData(
      await createUploadParts(
        serverB,
        submitter,
        ticket.id,
        parts.map(({ number, sha256 }) => ({ number, sha256 })),
      ),
    ).createUploadParts;
    const uploaded = [];
    for (const part of parts) {
      const signed = urls.find((url) => url.number === part.number)!;
      const headers = Object.fromEntries(signed.headers.map((header) => [header.name, header.value]));
      // A part with other bytes than declared is refused.
      const wrong = Buffer.from(part.body);
      wrong[0] ^= 1;
      expect((await fetch(signed.url, { method: 'PUT', body: new Uint8Array(wrong), headers })).status).toBe(400);
      const put = await fetch(signed.url, { method: 'PUT', body: new Uint8Array(part.body), headers });
      expect(put.status).toBe(200);
      uploaded.push({ number: part.number, etag: put.headers.get('etag')!, sha256: part.sha256 });
    }
    const receipt = expectData(await completeUpload(serverA, submitter, ticket.id, uploaded.reverse())).completeUpload;
    expect(receipt).toEqual({ id: ticket.id, size: bytes.length, sha256: sha256(bytes) });
    const build = expectData(await submitSource(serverB, ticket.id)).submitBuild;
    const stored = await peer.objects();
    expect(stored).toEqual(expect.arrayContaining([expect.objectContaining({ size: bytes.length, sha256: sha256(bytes) })]));
    expect(build.id).toBeTruthy();
  });

  it('keeps certificates sealed in the bucket and deletes them when their build finishes', async () => {
    const certs = Buffer.from('-----BEGIN CERTIFICATE----- secret signing material');
    const build = await submitBuild(serverA, submitter, { platform: 'IOS', certs });
    const sealed = await peer.objects();
    // The bucket holds the certificates encrypted: nothing there has their bytes or their checksum.
    expect(sealed.some((object) => object.sha256 === sha256(certs))).toBe(false);
    const keysBefore = new Set(sealed.map((object) => object.key));

    const worker = await registerWorker(serverB, workerKey, { platforms: ['IOS'] });
    const claimed = (await claim(serverB, worker.token))!;
    expect(claimed.id).toBe(build.id);
    const got = await download(claimed.certsUrl!);
    expect(got.bytes.equals(certs)).toBe(true);
    expectData(await complete(serverB, worker.token, build.id));

    const after = await peer.objects();
    const certsKey = [...keysBefore].find((key) => !after.some((object) => object.key === key));
    expect(certsKey, 'the sealed certificates are gone from the bucket').toBeDefined();
    expect(after.length).toBe(keysBefore.size); // the result replaced them in the count
  });

  it('sweeps expired uploads from the bucket, aborting an unfinished multipart upload', async () => {
    const single = randomBytes(2048);
    const singleId = await upload(serverA, submitter, 'SOURCE', single);
    const big = randomBytes(PART_BYTES + 1);
    const multipart = expectData(
      await createUpload(serverA, submitter, { kind: 'SOURCE', filename: 'big.zip', size: big.length, sha256: sha256(big) }),
    ).createUpload;
    expect((await peer.objects()).some((object) => object.sha256 === sha256(single))).toBe(true);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`UPDATE "Upload" SET "expiresAt" = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`, [
        [singleId, multipart.id],
      ]);
      await eventually(async () => {
        const { rowCount } = await client.query(`SELECT 1 FROM "Upload" WHERE id = ANY($1::uuid[])`, [[singleId, multipart.id]]);
        return rowCount === 0 ? true : undefined;
      });
    } finally {
      await client.end();
    }
    expect((await peer.objects()).some((object) => object.sha256 === sha256(single))).toBe(false);
    // The multipart upload is gone too: its parts can no longer be signed or completed.
    expectCode(await completeUpload(serverA, submitter, multipart.id), 'NOT_FOUND');
  });
});
