import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql, SqlPool } from '../server/src/db/sql.ts';
import { ApiError, httpClient } from '../worker/src/client/api.ts';
import { createBuildLog, secretValuesFromEnvironment, type BuildLogOptions } from '../worker/src/agent/buildLog.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { claim, createApiKey, eventually, registerWorker, submitBuild } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let database: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer({ databaseUrl: database.url, env: { FREE_AGENT_LOG_MAX_LINES: '300000' } });
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

/** A build claimed by a fresh worker, and the real appendBuildLogs over the worker's HTTP client (to whichever server runs now). */
async function claimedBuild(delayMs = 0) {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const build = await submitBuild(server, submitter.secret);
  const worker = await registerWorker(server, workerKey.secret);
  expect((await claim(server, worker.token))?.id).toBe(build.id);
  const sent: number[] = [];
  const send: BuildLogOptions['send'] = async (firstSeq, lines) => {
    sent.push(firstSeq);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const data = await httpClient(server.url, () => worker.token).request<{
      appendBuildLogs: { nextSeq: number; accepted: number; truncated: boolean };
    }>(
      `mutation ($buildId: ID!, $firstSeq: Int!, $lines: [BuildLogInput!]!) {
        appendBuildLogs(buildId: $buildId, firstSeq: $firstSeq, lines: $lines) { nextSeq accepted truncated }
      }`,
      { buildId: build.id, firstSeq, lines },
    );
    return data.appendBuildLogs;
  };
  return { buildId: build.id, reader: submitter.secret, send, sent };
}

/** Every stored line of the build as [seq, level, message], in seq order. */
async function stored(reader: string, buildId: string, afterSeq = 0): Promise<[number, string, string][]> {
  const lines: [number, string, string][] = [];
  for (;;) {
    const data = expectData(
      await graphql(
        server.graphqlUrl,
        `
          query ($buildId: ID!, $afterSeq: Int) {
            buildLogs(buildId: $buildId, afterSeq: $afterSeq, first: 400) {
              edges {
                node {
                  seq
                  level
                  message
                }
              }
            }
          }
        `,
        { buildId, afterSeq: lines.at(-1)?.[0] ?? afterSeq },
        reader,
      ),
    );
    const page = data.buildLogs.edges.map((edge: { node: { seq: number; level: string; message: string } }) => [
      edge.node.seq,
      edge.node.level,
      edge.node.message,
    ]);
    if (page.length === 0) return lines;
    lines.push(...page);
  }
}

const write = (stream: NodeJS.WritableStream, text: string | Buffer) => new Promise<void>((resolve) => stream.write(text, () => resolve()));

it('stores every line once and in order over a slow server, stdout as INFO and stderr as WARN', async () => {
  const { buildId, reader, send, sent } = await claimedBuild(50);
  const log = createBuildLog({ send, secrets: [] });
  const expected: [number, string, string][] = [];
  for (let index = 1; index <= 3000; index++) {
    const toStderr = index % 7 === 0;
    await write(toStderr ? log.stderr : log.stdout, `line ${index}\n`);
    expected.push([index, toStderr ? 'WARN' : 'INFO', `line ${index}`]);
  }
  log.append('ERROR', 'the agent says goodbye');
  expected.push([3001, 'ERROR', 'the agent says goodbye']);
  await log.close();
  expect(await stored(reader, buildId)).toEqual(expected);
  // One batch in flight at a time: batches start in increasing seq order.
  expect(sent).toEqual([...sent].sort((a, b) => a - b));
  expect(log.lastLines(2)).toEqual(['line 3000', 'the agent says goodbye']);
});

it('loses and doubles nothing when the server is killed mid-run and started again, and sends at once when told it is back', async () => {
  const { buildId, reader, send, sent } = await claimedBuild();
  const log = createBuildLog({ send, secrets: [], flushIntervalMs: 20 });
  for (let index = 1; index <= 500; index++) await write(log.stdout, `before ${index}\n`);
  await server.kill();
  const sentBeforeKill = sent.length;
  // Lines printed while the server is down wait, and are sent once it is back.
  for (let index = 1; index <= 500; index++) await write(log.stdout, `during ${index}\n`);
  await eventually(async () => (sent.length >= sentBeforeKill + 2 ? true : undefined), 30_000, 'two refused sends');
  server = await startServer({ databaseUrl: database.url, dataDir: server.dataDir, env: { FREE_AGENT_LOG_MAX_LINES: '300000' } });
  // Told the server is back (the agent's socket reconnected), the waiting batch goes in this very
  // turn of the event loop rather than when its backoff (with jitter) runs out.
  const triesBefore = sent.length;
  log.retryNow();
  expect(sent.length).toBe(triesBefore + 1);
  for (let index = 1; index <= 500; index++) await write(log.stdout, `after ${index}\n`);
  await log.close();
  const messages = (await stored(reader, buildId)).map(([seq, , message]) => `${seq} ${message}`);
  const expected = ['before', 'during', 'after'].flatMap((phase, phaseIndex) =>
    Array.from({ length: 500 }, (_, index) => `${phaseIndex * 500 + index + 1} ${phase} ${index + 1}`),
  );
  expect(messages).toEqual(expected);
});

it('loses nothing while the server fails unexpectedly (INTERNAL) for a while, as it waits out an outage', async () => {
  const { buildId, reader, send } = await claimedBuild();
  const answers: string[] = [];
  const recorded: BuildLogOptions['send'] = async (firstSeq, lines) => {
    try {
      const answer = await send(firstSeq, lines);
      answers.push('stored');
      return answer;
    } catch (error) {
      answers.push(error instanceof ApiError ? error.code : 'unreachable');
      throw error;
    }
  };
  // A fault that is no outage: each new line fails in the database, so the server answers INTERNAL.
  const admin = new SqlPool(database.url, { size: 1, statementTimeoutMs: 5000 });
  await admin.execute(
    sql`CREATE FUNCTION "refuseLogLines"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the disk is failing'; END $$`,
  );
  await admin.execute(sql`CREATE TRIGGER "refuseLogLines" BEFORE INSERT ON "BuildLog" FOR EACH ROW EXECUTE FUNCTION "refuseLogLines"()`);
  try {
    const log = createBuildLog({ send: recorded, secrets: [], flushIntervalMs: 20 });
    for (let index = 1; index <= 300; index++) await write(log.stdout, `line ${index}\n`);
    await eventually(
      async () => (answers.filter((code) => code === 'INTERNAL').length >= 2 ? true : undefined),
      30_000,
      'two INTERNAL answers',
    );
    await admin.execute(sql`DROP TRIGGER "refuseLogLines" ON "BuildLog"`);
    log.retryNow();
    await log.close();
    expect(await stored(reader, buildId)).toEqual(Array.from({ length: 300 }, (_, index) => [index + 1, 'INFO', `line ${index + 1}`]));
    expect(answers.at(-1)).toBe('stored');
  } finally {
    await admin.execute(sql`DROP TRIGGER IF EXISTS "refuseLogLines" ON "BuildLog"`);
    await admin.execute(sql`DROP FUNCTION IF EXISTS "refuseLogLines"()`);
    await admin.close();
  }
});

it('splits long lines on character boundaries, renders \\r like a terminal and maps bad bytes to U+FFFD', async () => {
  const { buildId, reader, send } = await claimedBuild();
  const log = createBuildLog({ send, secrets: [] });
  const long = 'é'.repeat(20_000); // 40,000 bytes of UTF-8
  await write(log.stdout, `${long}\n`);
  await write(log.stdout, 'Downloading  10%\rDownloading  55%\rDownloading 100%\r\n');
  // A `\r\n` split across chunks is still one line end; an overwrite keeps the longer old tail.
  await write(log.stdout, 'done\r');
  await write(log.stdout, '\nabcdef\rXY\n');
  await write(log.stdout, Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0xe2, 0x82]));
  await write(log.stdout, Buffer.from([0xac, 0x0a])); // the rest of "€"
  await log.close();
  const lines = (await stored(reader, buildId)).map(([, , message]) => message);
  expect(lines.slice(0, 3).join('')).toBe(long);
  for (const piece of lines.slice(0, 3)) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(16 * 1024);
  expect(lines.slice(3)).toEqual(['Downloading 100%', 'done', 'XYcdef', 'ok\uFFFD\uFFFD€']);
});

it('redacts secrets, also split across chunks and a multi-line secret printed line by line', async () => {
  const { buildId, reader, send } = await claimedBuild();
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
  const secrets = [...secretValuesFromEnvironment({ DEPLOY_TOKEN: 'tok-123456789', SHORT_KEY: 'abc', PATH: '/usr/bin' }), 'hunter22', pem];
  expect(secrets.slice(0, 1)).toEqual(['tok-123456789']);
  const log = createBuildLog({ send, secrets });
  await write(log.stdout, 'token is tok-1234');
  await write(log.stdout, '56789 and password hunter22\n');
  await write(log.stderr, `key:\n${pem}\nend\n`);
  await write(log.stdout, 'abc is not a secret\n');
  await log.close();
  const lines = (await stored(reader, buildId)).map(([, , message]) => message);
  expect(lines).toEqual([
    'token is [REDACTED] and password [REDACTED]',
    'key:',
    '[REDACTED]',
    '[REDACTED]',
    '[REDACTED]',
    '[REDACTED]',
    'end',
    'abc is not a secret',
  ]);
  expect(log.lastLines(10).join('\n')).not.toContain('hunter22');
});

it('reports ::progress markers and stores them as printed', async () => {
  const { buildId, reader, send } = await claimedBuild();
  const progress: number[] = [];
  const log = createBuildLog({ send, secrets: [], onProgress: (percent) => progress.push(percent) });
  await write(log.stdout, '::progress 40\n::progress 100\n::progress 101\n ::progress 5\n::progress 7x\n');
  await log.close();
  expect(progress).toEqual([40, 100]);
  expect((await stored(reader, buildId)).map(([, , message]) => message)).toEqual([
    '::progress 40',
    '::progress 100',
    '::progress 101',
    ' ::progress 5',
    '::progress 7x',
  ]);
});

it('holds a chatty writer back instead of buffering: 200,000 lines past a slow server', async () => {
  const { buildId, reader, send } = await claimedBuild(100);
  const maxBufferedLines = 5000;
  const log = createBuildLog({ send, secrets: [], maxBufferedLines });
  const total = 200_000;
  const linesPerChunk = 1000;
  let produced = 0;
  let mostBuffered = 0;
  const producer = new Readable({
    read() {
      mostBuffered = Math.max(mostBuffered, log.bufferedLineCount());
      if (produced === total) return void this.push(null);
      const chunk = Array.from({ length: linesPerChunk }, (_, index) => `chatty ${produced + index + 1}\n`).join('');
      produced += linesPerChunk;
      this.push(chunk);
    },
  });
  await pipeline(producer, log.stdout);
  await log.close();
  // Read lines never exceed the bound by more than what one chunk in the pipe holds.
  expect(mostBuffered).toBeGreaterThan(0);
  expect(mostBuffered).toBeLessThanOrEqual(maxBufferedLines + 2 * linesPerChunk);
  const tail = await stored(reader, buildId, total - 2);
  expect(tail).toEqual([
    [total - 1, 'INFO', `chatty ${total - 1}`],
    [total, 'INFO', `chatty ${total}`],
  ]);
});
