import { beforeAll, describe, expect, it } from 'vitest';
import { appendBuildLogs, claim, createApiKey, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectCode, expectData, graphql, type GraphQLResult } from './helpers/graphql.ts';

const { server } = useServer();

interface PagingArgs {
  first?: number;
  last?: number;
  after?: string;
  before?: string;
}

interface Page {
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * The page Relay's Cursor Connections spec gives for `args` over the whole list (`all`, its cursors in
 * order): the cursors narrow the list, `first` then keeps its head and `last` its tail. hasNextPage:
 * more than `first` remained, or (paging with `before`) items exist at or after `before`;
 * hasPreviousPage the same the other way round.
 */
function specPage(all: string[], { first, last, after, before }: PagingArgs): Page {
  const start = after === undefined ? 0 : all.indexOf(after) + 1;
  const end = before === undefined ? all.length : all.indexOf(before);
  let cursors = all.slice(start, end);
  let hasNextPage = before !== undefined && end < all.length;
  let hasPreviousPage = after !== undefined && start > 0;
  if (first !== undefined) {
    hasNextPage = cursors.length > first;
    cursors = cursors.slice(0, first);
  }
  if (last !== undefined) {
    hasPreviousPage = cursors.length > last;
    cursors = cursors.slice(Math.max(0, cursors.length - last));
  }
  return { cursors, hasNextPage, hasPreviousPage };
}

/** Forward (first/after) and backward (last/before) requests of every kind over the list `all`. */
function pagingRequests(all: string[]): PagingArgs[] {
  const sizes = [undefined, 0, 1, 2, all.length + 1];
  const cursors = [undefined, ...all];
  return sizes.flatMap((size) =>
    cursors.flatMap((cursor): PagingArgs[] => [
      { first: size, after: cursor },
      { last: size, before: cursor },
    ]),
  );
}

/** Requests that mix the two directions, or ask for a negative or oversized page: all refused. */
const refusedRequests = (cursor: string, maxPage: number): PagingArgs[] => [
  { first: 2, last: 2 },
  { first: 2, before: cursor },
  { last: 2, after: cursor },
  { after: cursor, before: cursor },
  { first: -1 },
  { last: -1 },
  { first: maxPage + 1 },
  { last: maxPage + 1 },
];

interface ConnectionUnderTest {
  name: string;
  maxPage: number;
  /** The whole list's cursors, in order (made in beforeAll). */
  all: string[];
  fetch(args: PagingArgs): Promise<GraphQLResult<Record<string, any>>>;
}

const defined = (args: PagingArgs) => Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));

const PAGE = `edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

function readPage(connection: { edges: { cursor: string }[]; pageInfo: Page & { startCursor: string | null; endCursor: string | null } }) {
  const cursors = connection.edges.map((edge) => edge.cursor);
  expect(connection.pageInfo.startCursor).toBe(cursors[0] ?? null);
  expect(connection.pageInfo.endCursor).toBe(cursors.at(-1) ?? null);
  return { cursors, hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: connection.pageInfo.hasPreviousPage };
}

const ITEMS = 5;
let admin: string;
let buildId: string;

const connections: ConnectionUnderTest[] = [
  {
    name: 'builds',
    maxPage: 100,
    all: [],
    fetch: (args) =>
      graphql(
        server.graphqlUrl,
        `query ($first: Int, $last: Int, $after: String, $before: String) {
        builds(first: $first, last: $last, after: $after, before: $before) { ${PAGE} } }`,
        defined(args),
        admin,
      ),
  },
  {
    name: 'workers',
    maxPage: 100,
    all: [],
    fetch: (args) =>
      graphql(
        server.graphqlUrl,
        `query ($first: Int, $last: Int, $after: String, $before: String) {
        workers(first: $first, last: $last, after: $after, before: $before) { ${PAGE} } }`,
        defined(args),
        admin,
      ),
  },
  {
    name: 'buildLogs',
    maxPage: 1000,
    all: [],
    fetch: (args) =>
      graphql(
        server.graphqlUrl,
        `query ($buildId: ID!, $first: Int, $last: Int, $after: String, $before: String) {
        buildLogs(buildId: $buildId, first: $first, last: $last, after: $after, before: $before) { ${PAGE} } }`,
        { buildId, ...defined(args) },
        admin,
      ),
  },
];

beforeAll(async () => {
  admin = server.adminKey;
  const workerKey = await createApiKey(server, 'WORKER');
  const builds = [];
  for (let index = 0; index < ITEMS; index++) builds.push(await submitBuild(server, admin));
  const workers = [];
  for (let index = 0; index < ITEMS; index++) workers.push(await registerWorker(server, workerKey.secret, { name: `worker-${index}` }));
  const claimed = await claim(server, workers[0]!.token);
  if (!claimed) throw new Error('the worker claimed no build');
  buildId = claimed.id;
  const lines = Array.from({ length: ITEMS }, (_, index) => ({ level: 'INFO', message: `line ${index + 1}` }));
  expectData(await appendBuildLogs(server, workers[0]!.token, buildId, 1, lines));
  for (const connection of connections) {
    connection.all = readPage(expectData(await connection.fetch({ first: ITEMS + 1 }))[connection.name]).cursors;
    expect(connection.all).toHaveLength(ITEMS);
  }
});

describe.each(connections.map((connection) => [connection.name, connection] as const))('%s', (_name, connection) => {
  it('pages forward with first/after and backward with last/before as the Relay spec says', async () => {
    for (const args of pagingRequests(connection.all)) {
      const page = readPage(expectData(await connection.fetch(args))[connection.name]);
      expect(page, JSON.stringify(args)).toEqual(specPage(connection.all, args));
    }
  });

  it('gives the last items of the list for last without a cursor', async () => {
    const page = readPage(expectData(await connection.fetch({ last: 2 }))[connection.name]);
    expect(page).toEqual({ cursors: connection.all.slice(-2), hasNextPage: false, hasPreviousPage: true });
  });

  it('refuses mixed directions and negative or oversized pages with BAD_USER_INPUT', async () => {
    for (const args of refusedRequests(connection.all[2]!, connection.maxPage)) {
      const result = await connection.fetch(args);
      expect(result.data?.[connection.name] ?? null, JSON.stringify(args)).toBeNull();
      expectCode(result, 'BAD_USER_INPUT');
    }
  });

  it('refuses a cursor it did not give out with BAD_USER_INPUT', async () => {
    for (const cursor of ['nope', 'R1BDOlM6bm9wZQ==', '-1', '1.5']) {
      expectCode(await connection.fetch({ first: 1, after: cursor }), 'BAD_USER_INPUT');
      expectCode(await connection.fetch({ last: 1, before: cursor }), 'BAD_USER_INPUT');
    }
  });
});

describe('the cost limit', () => {
  // Each connection's largest page, its size written in the document (the cost limit multiplies by
  // a literal first/last), with the fields a console or CLI shows, is within the limit.
  const fullPages = [
    `builds(first: 100) { edges { node { id status platform priority attempt progress submittedAt startedAt finishedAt metadata
      requiredLabels eligibleWorkers worker { id name } submittedBy { name } } } pageInfo { hasNextPage endCursor } }`,
    `workers(first: 100) { edges { node { id name status platforms labels maxConcurrentBuilds lastSeenAt buildsCompleted buildsFailed
      currentBuilds { id } } } pageInfo { hasNextPage endCursor } }`,
    `buildLogs(buildId: "BUILD", first: 1000) { edges { cursor node { seq attempt level message at } } pageInfo { hasNextPage endCursor } }`,
  ];

  it.each(fullPages)('lets a full page through: %s', async (selection) => {
    expectData(await graphql(server.graphqlUrl, `{ ${selection.replace('BUILD', buildId)} }`, {}, admin));
  });

  it('refuses a document asking for several full pages at once', async () => {
    const pages = Array.from({ length: 3 }, (_, index) => `page${index}: ${fullPages[2]!.replace('BUILD', buildId)}`).join(' ');
    expectCode(await graphql(server.graphqlUrl, `{ ${pages} }`, {}, admin), 'BAD_USER_INPUT');
  });
});
