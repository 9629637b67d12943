// The artifact routes as a client on the wire sees them: an upload completes only with a body of
// exactly its declared size, whatever the framing (Content-Length, chunked, a length that lies, a
// connection cut mid-body), and a download names its file and answers HEAD like GET.
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  claim,
  completeBuild,
  createApiKey,
  createUpload,
  eventually,
  readBuild,
  registerWorker,
  sha256,
  submitBuild,
  upload,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { attachmentDisposition } from '../server/src/http/respond.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer();
let submitter: string;
let worker: { workerId: string; token: string };
/** A build the worker holds, for RESULT uploads. */
let heldBuildId: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  const workerKey = (await createApiKey(server, 'WORKER')).secret;
  worker = await registerWorker(server, workerKey, { name: 'uploads-worker', platforms: ['ANDROID'] });
  await submitBuild(server, submitter);
  heldBuildId = (await claim(server, worker.token))!.id;
});

type UploadKind = 'SOURCE' | 'CERTS' | 'RESULT';

async function reserve(kind: UploadKind, size: number, filename = 'a.zip') {
  const buildId = kind === 'RESULT' ? heldBuildId : undefined;
  const token = kind === 'RESULT' ? worker.token : submitter;
  return expectData(await createUpload(server, token, { kind, filename, size, buildId })).createUpload;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Sends `PUT url` over a plain socket with exactly the given header lines and body bytes (already
 * framed), so framings a well-behaved client never sends can be tested. `then: 'answer'` reads the
 * answer (the request asks for Connection: close); `then: 'hang up'` ends the connection right
 * after the bytes, as a client that dies mid-upload does, and resolves once it is closed.
 */
function rawPut(url: string, headerLines: string[], body: Buffer, then: 'answer' | 'hang up'): Promise<RawAnswer | undefined> {
  const target = new URL(url);
  const head = [`PUT ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: close', ...headerLines, '', ''];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(head.join('\r\n'));
      socket.write(body);
      if (then === 'hang up') socket.end(() => socket.destroy());
    });
    socket.on('close', () => {
      if (then === 'hang up') return resolve(undefined);
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(all.toString())}`));
      const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: all.subarray(split + 4) });
    });
  });
}

/** The body as HTTP/1.1 chunks of the given sizes, with the closing zero chunk unless `terminated` is false. */
function chunked(body: Buffer, chunkSizes: number[], terminated = true): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const size of chunkSizes) {
    const chunk = body.subarray(offset, offset + size);
    offset += chunk.length;
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  if (terminated) parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Splits `length` into three uneven chunk sizes. */
const threeChunks = (length: number) => [
  Math.floor(length / 3),
  Math.floor(length / 2),
  length - Math.floor(length / 3) - Math.floor(length / 2),
];

/** Every stored file that belongs to the upload: a refused PUT must leave none. */
async function storedFilesOf(uploadId: string): Promise<string[]> {
  const root = path.join(server.dataDir, 'artifacts');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && entry.name.startsWith(uploadId)).map((entry) => entry.name);
}

async function expectNothingKept(uploadId: string, what: string) {
  expect(await storedFilesOf(uploadId), what).toEqual([]);
  const rows = await adminQuery(database.url, `SELECT size, sha256, "completedAt" FROM "Upload" WHERE id = $1`, [uploadId]);
  expect(rows, what).toEqual([{ size: null, sha256: null, completedAt: null }]);
}

/** How many times the server logged that a PUT of this upload was abandoned mid-body. */
const abandonedCount = (uploadId: string) =>
  server.logs().filter((line) => line.includes(uploadId) && line.includes('upload abandoned by the client')).length;

describe('an upload completes only with exactly its declared size', () => {
  it("refuses the issue's truncated upload (10 bytes for a declared 1000) with 400, and submitBuild cannot use it", async () => {
    const ticket = await reserve('SOURCE', 1000);
    const response = await fetch(ticket.url!, {
      method: 'PUT',
      headers: { 'content-length': '10' },
      body: new Uint8Array(randomBytes(10)),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'BAD_USER_INPUT', message: expect.stringMatching(/declared as 1000 bytes/) },
    });
    await expectNothingKept(ticket.id, 'after the short PUT');
    const submit = await graphql(
      server.graphqlUrl,
      `
        mutation ($input: SubmitBuildInput!) {
          submitBuild(input: $input) {
            id
          }
        }
      `,
      { input: { platform: 'ANDROID', sourceUploadId: ticket.id } },
      submitter,
    );
    expect(expectCode(submit, 'BAD_USER_INPUT')).toMatch(/no bytes yet/);
  });

  // 1000 bytes are read whole (at most 64 KiB); 200 KiB are streamed to storage.
  const cases = (['SOURCE', 'CERTS', 'RESULT'] as const).flatMap((kind) => [
    { kind, size: 1000, path: 'read whole' },
    { kind, size: 200 * 1024, path: 'streamed' },
  ]);

  it.each(cases)(
    'refuses a $kind upload of $size bytes ($path) in every wrong framing, keeps nothing, then accepts the right body on the same URL',
    async ({ kind, size }) => {
      const ticket = await reserve(kind, size);
      const body = randomBytes(size);
      const short = body.subarray(0, size - 10);
      const long = Buffer.concat([body, randomBytes(10)]);

      const refused: [string, string[], Buffer, number, string][] = [
        ['Content-Length shorter than declared', [`Content-Length: ${short.length}`], short, 400, 'BAD_USER_INPUT'],
        ['Content-Length longer than declared', [`Content-Length: ${long.length}`], long, 413, 'PAYLOAD_TOO_LARGE'],
        ['chunked, fewer bytes', ['Transfer-Encoding: chunked'], chunked(short, threeChunks(short.length)), 400, 'BAD_USER_INPUT'],
        ['chunked, more bytes', ['Transfer-Encoding: chunked'], chunked(long, threeChunks(long.length)), 413, 'PAYLOAD_TOO_LARGE'],
        ['no body at all', ['Content-Length: 0'], Buffer.alloc(0), 400, 'BAD_USER_INPUT'],
      ];
      for (const [framing, headers, bytes, status, code] of refused) {
        const answer = (await rawPut(ticket.url!, headers, bytes, 'answer'))!;
        expect(answer.status, framing).toBe(status);
        expect(JSON.parse(answer.body.toString()), framing).toMatchObject({
          error: { code, message: expect.stringContaining(`${size} bytes`) },
        });
        await expectNothingKept(ticket.id, framing);
      }

      const abandoned: [string, string[], Buffer][] = [
        ['a Content-Length that lies (fewer bytes, then the connection closes)', [`Content-Length: ${size}`], short],
        ['chunked, cut off inside a chunk', ['Transfer-Encoding: chunked'], chunked(body, [size]).subarray(0, size / 2)],
        ['chunked, cut off between chunks', ['Transfer-Encoding: chunked'], chunked(short, threeChunks(short.length), false)],
      ];
      for (const [index, [framing, headers, bytes]] of abandoned.entries()) {
        await rawPut(ticket.url!, headers, bytes, 'hang up');
        // The server logs an abandoned PUT once it has cleaned up after it.
        await eventually(async () => (abandonedCount(ticket.id) === index + 1 ? true : undefined), 15_000, `${framing} to be handled`);
        await expectNothingKept(ticket.id, framing);
      }

      const accepted = (await rawPut(ticket.url!, ['Transfer-Encoding: chunked'], chunked(body, threeChunks(size)), 'answer'))!;
      expect(accepted.status).toBe(200);
      expect(JSON.parse(accepted.body.toString())).toEqual({ id: ticket.id, size, sha256: sha256(body) });
      const [row] = await adminQuery(database.url, `SELECT size, sha256, "storageKey" FROM "Upload" WHERE id = $1`, [ticket.id]);
      expect(row).toMatchObject({ size: String(size), sha256: sha256(body) });
      expect(await storedFilesOf(ticket.id)).toEqual([path.basename(row!.storageKey as string)]);
    },
  );

  it('accepts exactly the declared size with a Content-Length, including an empty upload', async () => {
    for (const size of [0, 1, 64 * 1024, 64 * 1024 + 1]) {
      const ticket = await reserve('SOURCE', size);
      const body = randomBytes(size);
      const response = await fetch(ticket.url!, { method: 'PUT', body: new Uint8Array(body) });
      expect(response.status, `${size} bytes`).toBe(200);
      expect(await response.json()).toEqual({ id: ticket.id, size, sha256: sha256(body) });
    }
  });

  it('refuses a body that does not match its declared sha256, read whole or streamed, keeps nothing, then accepts the right one', async () => {
    for (const size of [100, 200 * 1024]) {
      const body = randomBytes(size);
      const ticket = expectData(
        await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size, sha256: sha256(body) }),
      ).createUpload;
      const altered = Buffer.from(body);
      altered[size - 1] ^= 0xff;
      const refused = await fetch(ticket.url!, { method: 'PUT', body: new Uint8Array(altered) });
      expect(refused.status, `${size} bytes`).toBe(400);
      expect((await refused.json()).error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('sha256') });
      expect(await adminQuery(database.url, `SELECT "completedAt" FROM "Upload" WHERE id = '${ticket.id}'`)).toEqual([
        { completedAt: null },
      ]);
      const stored = await readdir(path.join(server.dataDir, 'artifacts', 'uploads', ticket.id.slice(0, 2))).catch(() => []);
      expect(stored.filter((name) => name.startsWith(ticket.id))).toEqual([]);

      const accepted = await fetch(ticket.url!, { method: 'PUT', body: new Uint8Array(body) });
      expect(await accepted.json()).toEqual({ id: ticket.id, size, sha256: sha256(body) });
    }
  });

  it('refuses a sha256 that is not 64 hex digits', async () => {
    const message = expectCode(
      await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 3, sha256: 'abc' }),
      'BAD_USER_INPUT',
    );
    expect(message).toMatch(/64 hex digits/);
  });
});

describe('downloads', () => {
  const submitMutation = `mutation ($input: SubmitBuildInput!) { submitBuild(input: $input) { id } }`;

  /** Submits a build of the source upload and has a new worker claim it (each worker holds one build at a time). */
  async function submitAndClaim(input: { sourceUploadId: string; certsUploadId?: string }) {
    const submitted = expectData(await graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', ...input } }, submitter));
    const workerKey = (await createApiKey(server, 'WORKER')).secret;
    const builder = await registerWorker(server, workerKey, { name: 'downloads-worker', platforms: ['IOS'] });
    const claimed = (await claim(server, builder.token))!;
    expect(claimed.id).toBe(submitted.submitBuild.id);
    return { claimed, token: builder.token };
  }
  /** The headers a download answers with, which HEAD must repeat. */
  const artifactHeaders = ['content-type', 'content-length', 'content-disposition', 'x-checksum-sha256', 'cache-control'];

  /** GETs and HEADs url; checks both answer the same headers, GET with `bytes` and HEAD with no body. */
  async function expectDownload(url: string, bytes: Buffer, disposition: string) {
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    const headed = await fetch(url, { method: 'HEAD' });
    expect(headed.status).toBe(200);
    expect((await headed.arrayBuffer()).byteLength).toBe(0);
    const pick = (response: Response) => Object.fromEntries(artifactHeaders.map((name) => [name, response.headers.get(name)]));
    expect(pick(got)).toEqual({
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'content-disposition': disposition,
      'x-checksum-sha256': sha256(bytes),
      'cache-control': 'private, no-store',
    });
    expect(pick(headed)).toEqual(pick(got));
  }

  it('names the original file in Content-Disposition and answers HEAD with the same headers, for source, certs and result', async () => {
    const source = randomBytes(70 * 1024);
    const certs = randomBytes(500);
    const result = randomBytes(2000);
    const sourceUploadId = await upload(server, submitter, 'SOURCE', source, undefined, 'app "v2" ü.zip');
    const certsUploadId = await upload(server, submitter, 'CERTS', certs, undefined, 'signing.p12');
    const { claimed, token } = await submitAndClaim({ sourceUploadId, certsUploadId });

    await expectDownload(claimed.sourceUrl, source, `attachment; filename="app _v2_ _.zip"; filename*=UTF-8''app%20%22v2%22%20%C3%BC.zip`);
    await expectDownload(claimed.certsUrl!, certs, `attachment; filename="signing.p12"; filename*=UTF-8''signing.p12`);

    const resultUploadId = await upload(server, token, 'RESULT', result, claimed.id, 'Acme 1.2 (build 7).ipa');
    expectData(await completeBuild(server, token, claimed.id, resultUploadId));
    const resultUrl = expectData(await readBuild(server, submitter, claimed.id, 'resultUrl')).build.resultUrl as string;
    await expectDownload(
      resultUrl,
      result,
      `attachment; filename="Acme 1.2 (build 7).ipa"; filename*=UTF-8''Acme%201.2%20%28build%207%29.ipa`,
    );
  });

  it('keeps a hostile filename inside the Content-Disposition header', async () => {
    const source = randomBytes(100);
    // Quotes and parameters cannot close the quoted fallback; a percent sign is not left for a browser to decode.
    const sourceUploadId = await upload(server, submitter, 'SOURCE', source, undefined, 'x"; filename=evil.exe; a=%41\\');
    const { claimed } = await submitAndClaim({ sourceUploadId });
    await expectDownload(
      claimed.sourceUrl,
      source,
      `attachment; filename="x_; filename=evil.exe; a=_41_"; filename*=UTF-8''x%22%3B%20filename%3Devil.exe%3B%20a%3D%2541%5C`,
    );

    // createUpload refuses control characters; a name stored with CR/LF anyway (an older row, a
    // hand edit) must still not add a header.
    await adminQuery(database.url, `UPDATE "Upload" SET filename = $2 WHERE id = $1`, [
      sourceUploadId,
      'a\r\nSet-Cookie: stolen=1\u0007.zip',
    ]);
    const answer = await fetch(claimed.sourceUrl, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(answer.headers.get('content-disposition')).toBe(
      `attachment; filename="a__Set-Cookie: stolen=1_.zip"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20stolen%3D1%07.zip`,
    );
  });

  it('answers HEAD with the same 404 as GET when the stored object is gone', async () => {
    const sourceUploadId = await upload(server, submitter, 'SOURCE', randomBytes(10));
    const { claimed } = await submitAndClaim({ sourceUploadId });
    const [row] = await adminQuery(database.url, `SELECT "storageKey" FROM "Upload" WHERE id = $1`, [sourceUploadId]);
    await rm(path.join(server.dataDir, 'artifacts', row!.storageKey as string));
    const got = await fetch(claimed.sourceUrl);
    expect(got.status).toBe(404);
    expect(await got.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const headed = await fetch(claimed.sourceUrl, { method: 'HEAD' });
    expect(headed.status).toBe(404);
    expect(headed.headers.get('content-length')).toBe(got.headers.get('content-length'));
  });

  it('answers other methods on a download URL with 405 naming GET and HEAD', async () => {
    const sourceUploadId = await upload(server, submitter, 'SOURCE', randomBytes(10));
    const { claimed } = await submitAndClaim({ sourceUploadId });
    const answer = await fetch(claimed.sourceUrl, { method: 'POST', body: 'x' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, HEAD');
    expect(await answer.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });
});

describe('attachmentDisposition', () => {
  it('encodes any JavaScript string as one printable-ASCII header value with the exact name in filename*', () => {
    expect(attachmentDisposition(null)).toBe('attachment');
    expect(attachmentDisposition('🚀.ipa')).toBe(`attachment; filename="_.ipa"; filename*=UTF-8''%F0%9F%9A%80.ipa`);
    // A lone surrogate has no UTF-8: it is sent as U+FFFD rather than failing the download.
    expect(attachmentDisposition('a\uD800b')).toBe(`attachment; filename="a_b"; filename*=UTF-8''a%EF%BF%BDb`);
    const hostile = ['"', '\\"', '\r\n\r\n<html>', '\u0000', 'a;b=c,d', "x'y''z", '%0D%0A', '\u2028\u2029', 'é'.repeat(300)];
    for (const name of hostile) {
      const value = attachmentDisposition(name);
      expect(value, name).toMatch(
        /^attachment; filename="[\x20\x21\x23-\x24\x26-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]*$/,
      );
      expect(decodeURIComponent(value.split("; filename*=UTF-8''")[1]!), name).toBe(name);
    }
  });
});
