import { expect, it } from 'vitest';
import {
  appendBuildLogs,
  cancelBuild,
  claim,
  createApiKey,
  failBuild,
  readBuild,
  registerWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql, subscribe, wsClient } from './helpers/graphql.ts';

const LOG_MAX_LINES = 10;
const LOG_MAX_BYTES = 1000;

const { server } = useServer({ FREE_AGENT_LOG_MAX_LINES: String(LOG_MAX_LINES), FREE_AGENT_LOG_MAX_BYTES: String(LOG_MAX_BYTES) });

async function runningBuild() {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const build = await submitBuild(server, submitter.secret);
  const worker = await registerWorker(server, workerKey.secret);
  expect((await claim(server, worker.token))?.id).toBe(build.id);
  return { buildId: build.id, token: worker.token, reader: submitter.secret };
}

const lines = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ level: 'INFO', message: `line ${from + index}` }));

const append = (token: string, buildId: string, firstSeq: number, batch: object[], attempt?: number) =>
  appendBuildLogs(server, token, buildId, firstSeq, batch, attempt);

async function storedMessages(reader: string, buildId: string, afterSeq = 0, first = 100) {
  const data = expectData(
    await graphql(
      server.graphqlUrl,
      `
        query ($buildId: ID!, $afterSeq: Int, $first: Int) {
          buildLogs(buildId: $buildId, afterSeq: $afterSeq, first: $first) {
            edges {
              cursor
              node {
                seq
                message
                level
              }
            }
            pageInfo {
              hasNextPage
              endCursor
            }
          }
        }
      `,
      { buildId, afterSeq, first },
      reader,
    ),
  );
  return data.buildLogs;
}

it('stores a retried batch once and answers a gap with the expected nextSeq', async () => {
  const { buildId, token, reader } = await runningBuild();
  expect(expectData(await append(token, buildId, 1, lines(1, 3))).appendBuildLogs).toEqual({ nextSeq: 4, accepted: 3, truncated: false });
  // The same batch again (a retry after a lost answer) stores nothing.
  expect(expectData(await append(token, buildId, 1, lines(1, 3))).appendBuildLogs).toEqual({ nextSeq: 4, accepted: 0, truncated: false });
  // A batch after a lost one is refused, and the answer says where to resume.
  expect(expectData(await append(token, buildId, 7, lines(7, 2))).appendBuildLogs).toEqual({ nextSeq: 4, accepted: 0, truncated: false });
  expect(expectData(await append(token, buildId, 4, lines(4, 3))).appendBuildLogs).toEqual({ nextSeq: 7, accepted: 3, truncated: false });

  const page = await storedMessages(reader, buildId);
  expect(page.edges.map((edge: { node: { seq: number; message: string } }) => [edge.node.seq, edge.node.message])).toEqual(
    Array.from({ length: 6 }, (_, index) => [index + 1, `line ${index + 1}`]),
  );
});

it('pages by afterSeq and by cursor in seq order', async () => {
  const { buildId, token, reader } = await runningBuild();
  expectData(await append(token, buildId, 1, lines(1, 5)));
  const firstPage = await storedMessages(reader, buildId, 0, 2);
  expect(firstPage.edges.map((edge: { node: { seq: number } }) => edge.node.seq)).toEqual([1, 2]);
  expect(firstPage.pageInfo).toEqual({ hasNextPage: true, endCursor: '2' });
  const rest = await storedMessages(reader, buildId, 2, 10);
  expect(rest.edges.map((edge: { node: { seq: number } }) => edge.node.seq)).toEqual([3, 4, 5]);
  expect(rest.pageInfo.hasNextPage).toBe(false);
});

it('keeps one truncation marker past the bound and refuses later lines', async () => {
  const { buildId, token, reader } = await runningBuild();
  expect(expectData(await append(token, buildId, 1, lines(1, 8))).appendBuildLogs).toEqual({ nextSeq: 9, accepted: 8, truncated: false });
  expect(expectData(await append(token, buildId, 9, lines(9, 5))).appendBuildLogs).toEqual({ nextSeq: 11, accepted: 2, truncated: true });
  expectCode(await append(token, buildId, 11, lines(11, 1)), 'PAYLOAD_TOO_LARGE');
  const page = await storedMessages(reader, buildId);
  expect(page.edges).toHaveLength(LOG_MAX_LINES + 1);
  const marker = page.edges.at(-1).node;
  expect(marker).toMatchObject({ seq: 11, level: 'WARN' });
  expect(marker.message).toMatch(/^Log truncated/);
});

it("bounds the log by bytes too, keeps each line's time, and stores a NUL as U+FFFD", async () => {
  const { buildId, token, reader } = await runningBuild();
  const at = '2026-01-02T03:04:05.678Z';
  const batch = [
    { level: 'INFO', message: 'a'.repeat(300) },
    { level: 'ERROR', message: `${'b'.repeat(149)}\u0000${'b'.repeat(150)}`, at },
    { level: 'INFO', message: 'c'.repeat(300) },
    { level: 'INFO', message: 'd'.repeat(300) },
  ];
  // 300 + 300 + 300 bytes fit in 1000; the fourth line would not.
  expect(expectData(await append(token, buildId, 1, batch)).appendBuildLogs).toEqual({ nextSeq: 4, accepted: 3, truncated: true });
  expectCode(await append(token, buildId, 4, lines(4, 1)), 'PAYLOAD_TOO_LARGE');
  const page = await storedMessages(reader, buildId);
  expect(page.edges.map((edge: { node: { seq: number; level: string } }) => [edge.node.seq, edge.node.level])).toEqual([
    [1, 'INFO'],
    [2, 'ERROR'],
    [3, 'INFO'],
    [4, 'WARN'],
  ]);
  expect(page.edges[1].node.message).toBe(`${'b'.repeat(149)}\uFFFD${'b'.repeat(150)}`);
  expect(page.edges[3].node.message).toMatch(/^Log truncated/);
  const times = expectData(
    await graphql(
      server.graphqlUrl,
      `
        query ($buildId: ID!) {
          buildLogs(buildId: $buildId) {
            edges {
              node {
                seq
                at
              }
            }
          }
        }
      `,
      { buildId },
      reader,
    ),
  ).buildLogs.edges.map((edge: { node: { at: string } }) => edge.node.at);
  expect(times[1]).toBe(at);
});

/** A page of one attempt's log (the latest when `attempt` is not given): [attempt, seq, message] of each line. */
async function attemptLog(reader: string, buildId: string, attempt?: number) {
  const result = await graphql(
    server.graphqlUrl,
    `
      query ($buildId: ID!, $attempt: Int) {
        buildLogs(buildId: $buildId, attempt: $attempt) {
          edges {
            node {
              attempt
              seq
              message
            }
          }
        }
      }
    `,
    { buildId, attempt },
    reader,
  );
  return result.data?.buildLogs
    ? {
        lines: result.data.buildLogs.edges.map(({ node }: { node: { attempt: number; seq: number; message: string } }) => [
          node.attempt,
          node.seq,
          node.message,
        ]),
      }
    : { result };
}

/** Fails the running build as retryable (back to PENDING) and has `token`'s worker claim it again. */
async function retryOn(buildId: string, failingToken: string, claimingToken: string) {
  expect(expectData(await failBuild(server, failingToken, buildId, { message: 'flaky', retryable: true })).failBuild.status).toBe(
    'PENDING',
  );
  const claimed = await claim(server, claimingToken);
  expect(claimed).toMatchObject({ id: buildId, attempt: 2 });
}

it("numbers each attempt's log from 1, shows the latest attempt by default and keeps earlier ones readable", async () => {
  const { buildId, token, reader } = await runningBuild();
  const feed = wsClient(server.wsUrl, reader);
  const appended = subscribe(
    feed,
    `subscription ($id: ID!) { buildLogAppended(buildId: $id) { attempt nextSeq lines { attempt seq message } } }`,
    {
      id: buildId,
    },
  );
  // graphql-ws does not acknowledge a subscription: give the server a moment to register it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(expectData(await append(token, buildId, 1, lines(1, 3))).appendBuildLogs).toEqual({ nextSeq: 4, accepted: 3, truncated: false });
  const second = await registerWorker(server, (await createApiKey(server, 'WORKER')).secret, { name: 'mac-2' });
  await retryOn(buildId, token, second.token);

  // The new worker starts its log at 1, as it must, and is not told to resume at 4.
  expect(expectData(await append(second.token, buildId, 1, lines(1, 2))).appendBuildLogs).toEqual({
    nextSeq: 3,
    accepted: 2,
    truncated: false,
  });
  expect(await attemptLog(reader, buildId)).toEqual({
    lines: [
      [2, 1, 'line 1'],
      [2, 2, 'line 2'],
    ],
  });
  expect(await attemptLog(reader, buildId, 2)).toEqual({
    lines: [
      [2, 1, 'line 1'],
      [2, 2, 'line 2'],
    ],
  });
  expect(await attemptLog(reader, buildId, 1)).toEqual({
    lines: [
      [1, 1, 'line 1'],
      [1, 2, 'line 2'],
      [1, 3, 'line 3'],
    ],
  });
  expect(expectData(await readBuild(server, reader, buildId, 'attempt logLineCount')).build).toEqual({ attempt: 2, logLineCount: 2 });

  // The first worker's stale run cannot write into the second attempt's log.
  expectCode(await append(token, buildId, 3, lines(3, 1)), 'FORBIDDEN');
  expectCode(await append(token, buildId, 1, lines(1, 1)), 'FORBIDDEN');

  let event;
  do event = (await appended.next()).data!.buildLogAppended;
  while (event.attempt !== 2);
  expect(event).toEqual({
    attempt: 2,
    nextSeq: 3,
    lines: [
      { attempt: 2, seq: 1, message: 'line 1' },
      { attempt: 2, seq: 2, message: 'line 2' },
    ],
  });
  appended.close();
  await feed.dispose();
});

it('refuses an attempt the build has not had with BAD_USER_INPUT', async () => {
  const { buildId, reader } = await runningBuild();
  for (const attempt of [0, -1, 2, 2 ** 31 - 1]) expectCode((await attemptLog(reader, buildId, attempt)).result!, 'BAD_USER_INPUT');
  const pending = await submitBuild(server, reader);
  // A build never claimed has no attempt yet: its log is empty.
  expect(await attemptLog(reader, pending.id)).toEqual({ lines: [] });
  expectCode((await attemptLog(reader, pending.id, 1)).result!, 'BAD_USER_INPUT');
  // Out of the queue, so that the next test's worker claims its own build.
  expectData(await cancelBuild(server, reader, pending.id));
});

it("bounds each attempt's log on its own", async () => {
  const { buildId, token, reader } = await runningBuild();
  expect(expectData(await append(token, buildId, 1, lines(1, LOG_MAX_LINES + 1))).appendBuildLogs).toMatchObject({
    accepted: LOG_MAX_LINES,
    truncated: true,
  });
  await retryOn(buildId, token, token);
  expect(expectData(await readBuild(server, reader, buildId, 'logLineCount logTruncated')).build).toEqual({
    logLineCount: 0,
    logTruncated: false,
  });
  expect(expectData(await append(token, buildId, 1, lines(1, 2))).appendBuildLogs).toEqual({ nextSeq: 3, accepted: 2, truncated: false });
  expect((await attemptLog(reader, buildId, 1)).lines).toHaveLength(LOG_MAX_LINES + 1);
});

it('refuses a batch sent for an attempt that is over, even by the worker now running the build', async () => {
  const { buildId, token, reader } = await runningBuild();
  expect(expectData(await append(token, buildId, 1, lines(1, 2), 1)).appendBuildLogs).toEqual({
    nextSeq: 3,
    accepted: 2,
    truncated: false,
  });
  // The same worker claims the build again: its run of attempt 1 is stale.
  await retryOn(buildId, token, token);
  expectCode(await append(token, buildId, 1, lines(1, 1), 1), 'CONFLICT');
  expect(expectData(await append(token, buildId, 1, lines(1, 1), 2)).appendBuildLogs).toEqual({
    nextSeq: 2,
    accepted: 1,
    truncated: false,
  });
  expect(await attemptLog(reader, buildId)).toEqual({ lines: [[2, 1, 'line 1']] });
});
