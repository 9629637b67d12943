import { beforeAll, expect, it } from 'vitest';
import { claim, createApiKey, failBuild, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';

const { server } = useServer();

/** The builds of this file by a name of ours, each with the metadata (or failure) it is searched by. */
const BUILDS: Record<string, { metadata?: Record<string, unknown>; errorMessage?: string }> = {
  // Failed builds first: each is the only pending build when its worker claims.
  failed: { errorMessage: 'Disk 100% FULL_now' },
  failedLookalike: { errorMessage: 'Disk 1000 FULL-now' },
  percent: { metadata: { appName: 'x-100%' } },
  percentLookalike: { metadata: { appName: 'x-1000-off' } },
  acme: { metadata: { appName: 'X-Acme' } },
  underscore: { metadata: { version: '1.0_RC' } },
  underscoreLookalike: { metadata: { version: '1.0-rc' } },
  backslash: { metadata: { gitRef: 'refs\\heads\\main' } },
  backslashLookalike: { metadata: { gitRef: 'refs/heads/main' } },
  umlaut: { metadata: { profile: 'ÄPP Store' } },
  lowerUmlaut: { metadata: { appName: 'äpp lite' } },
};

const ids: Record<string, string> = {};

beforeAll(async () => {
  const workerKey = await createApiKey(server, 'WORKER');
  for (const [name, { metadata, errorMessage }] of Object.entries(BUILDS)) {
    ids[name] = (await submitBuild(server, server.adminKey, metadata ? { metadata } : {})).id;
    if (errorMessage) {
      const worker = await registerWorker(server, workerKey.secret, { name: `worker-${name}` });
      expect((await claim(server, worker.token))?.id).toBe(ids[name]);
      expectData(await failBuild(server, worker.token, ids[name]!, { message: errorMessage }));
    }
  }
});

/** Our names of the builds `text` finds, sorted. */
async function found(text: string): Promise<string[]> {
  const data = expectData(
    await graphql(
      server.graphqlUrl,
      `
        query ($text: String) {
          builds(first: 100, filter: { text: $text }) {
            edges {
              node {
                id
              }
            }
          }
        }
      `,
      { text },
      server.adminKey,
    ),
  );
  const byId = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
  return data.builds.edges.map((edge: { node: { id: string } }) => byId.get(edge.node.id)).sort();
}

it('takes % literally: "x-100%" finds x-100% and not x-1000-off', async () => {
  expect(await found('x-100%')).toEqual(['percent']);
  expect(await found('%')).toEqual(['failed', 'percent']);
  expect(await found('100%')).toEqual(['failed', 'percent']);
});

it('ignores case: "x-acme" finds X-Acme', async () => {
  expect(await found('x-acme')).toEqual(['acme']);
  expect(await found('X-ACME')).toEqual(['acme']);
});

it('takes _ and \\ literally', async () => {
  expect(await found('1.0_rc')).toEqual(['underscore']);
  expect(await found('_')).toEqual(['failed', 'underscore']);
  expect(await found('refs\\heads')).toEqual(['backslash']);
  expect(await found('\\')).toEqual(['backslash']);
  expect(await found('s\\h')).toEqual(['backslash']);
});

it('folds the case of letters beyond ASCII', async () => {
  expect(await found('äpp')).toEqual(['lowerUmlaut', 'umlaut']);
  expect(await found('ÄPP')).toEqual(['lowerUmlaut', 'umlaut']);
});

it('searches the error message the same way', async () => {
  expect(await found('disk 100% full')).toEqual(['failed']);
  expect(await found('full_NOW')).toEqual(['failed']);
});

it('finds a build by its whole id in any case', async () => {
  expect(await found(ids.acme!.toUpperCase())).toEqual(['acme']);
});

it('ignores surrounding white space, and an empty text filters nothing', async () => {
  expect(await found('  x-acme  ')).toEqual(['acme']);
  expect(await found('')).toHaveLength(Object.keys(BUILDS).length);
});
