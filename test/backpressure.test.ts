// The pending bound holds against builds this server did not queue: a server counts the queue at
// most once a second and checks exactly near the bound, so a queue filled meanwhile by another
// server process is refused within about a second.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, submitBuild, upload, useServer } from './helpers/flows.ts';
import { expectCode, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const BOUND = 20;
const { server, database } = useServer({ FREE_AGENT_MAX_PENDING_BUILDS: String(BOUND) });
let submitter: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
});

const pendingCount = async () =>
  (await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Build" WHERE status = 'PENDING'`))[0]!.n as number;

describe('the pending bound', () => {
  it('refuses with QUEUE_FULL once another server filled the queue, and queues nothing', async () => {
    await submitBuild(server, submitter);
    // Another server process queues the rest, unseen by this one.
    await adminQuery(
      database.url,
      `INSERT INTO "Build" (platform, "sourceKey", "sourceSize", "sourceSha256", "heartbeatTimeoutSeconds", "timeoutSeconds")
       SELECT 'ANDROID', 'uploads/elsewhere', 1, 'sha', 60, 3600 FROM generate_series(1, $1::int)`,
      [BOUND - 1],
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('one too many'));
    const refused = await graphql(
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
    expectCode(refused, 'QUEUE_FULL');
    expect(await pendingCount()).toBe(BOUND);
  });
});
