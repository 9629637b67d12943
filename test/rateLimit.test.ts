// Mutations are rate limited per caller (token buckets per server process): past the burst a
// mutation is refused with RATE_LIMITED (HTTP 429 with Retry-After) and changes nothing, queries
// are not limited, other callers are not affected, and the bucket refills.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, useServer } from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer({ FREE_AGENT_MUTATIONS_PER_SECOND: '2', FREE_AGENT_MUTATION_BURST: '3' });
let first: string;
let second: string;

beforeAll(async () => {
  // Made with the admin key, whose own bucket these two calls spend part of.
  first = (await createApiKey(server, 'SUBMITTER', 'first')).secret;
  second = (await createApiKey(server, 'SUBMITTER', 'second')).secret;
});

const createUpload = (token: string) =>
  graphql(
    server.graphqlUrl,
    `
      mutation {
        createUpload(input: { kind: SOURCE, filename: "s", size: 1 }) {
          id
        }
      }
    `,
    {},
    token,
  );
const uploads = async () => (await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Upload"`))[0]!.n as number;

describe('mutation rate limit', () => {
  it('refuses a caller past its burst with RATE_LIMITED, changing nothing, and lets it go on once refilled', async () => {
    for (let index = 0; index < 3; index++) expectData(await createUpload(first));
    const before = await uploads();
    const refused = await createUpload(first);
    expectCode(refused, 'RATE_LIMITED');
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBe(1);
    expect(await uploads()).toBe(before);

    // Queries are not limited; another caller has its own bucket.
    expectData(
      await graphql(
        server.graphqlUrl,
        `
          {
            me {
              name
            }
          }
        `,
        {},
        first,
      ),
    );
    expectData(await createUpload(second));

    await new Promise((resolve) => setTimeout(resolve, 600));
    expectData(await createUpload(first));
  });

  it('answers 429 with Retry-After over HTTP', async () => {
    const send = () =>
      fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${second}` },
        body: JSON.stringify({ query: `mutation { createUpload(input: { kind: SOURCE, filename: "s", size: 1 }) { id } }` }),
      });
    let response = await send();
    for (let sent = 1; response.status === 200 && sent < 10; sent++) response = await send();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await response.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
  });
});
