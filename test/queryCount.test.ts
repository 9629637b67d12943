import { expect, it } from 'vitest';
import { claim, createApiKey, eventually, heartbeat, registerWorker, submitBuild, useServer } from './helpers/flows.ts';

const { server } = useServer({ FREE_AGENT_LOG_LEVEL: 'debug' });

const NESTED = `query ($first: Int) {
  builds(first: $first) { edges { node { id status worker { name status } events { toStatus actor at } submittedBy { name } retryOf { id } } } }
}`;

/** The database operations the server logged for one request, found by its request id. */
async function operationsFor(first: number, key: string): Promise<number> {
  const requestId = `n-plus-one-${first}-${Date.now()}`;
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': requestId },
    body: JSON.stringify({ query: NESTED, variables: { first } }),
  });
  const body = await response.json();
  expect(body.errors).toBeUndefined();
  expect(body.data.builds.edges).toHaveLength(first);
  return eventually(
    async () => {
      const line = server.logs().find((entry) => entry.includes(requestId) && entry.includes('"msg":"request"'));
      return line ? (JSON.parse(line).databaseOperations as number) : undefined;
    },
    5000,
    'the request log line',
  );
}

it('loads builds with their worker, events and submitter in a fixed number of queries, however many builds', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  for (let index = 0; index < 30; index++) await submitBuild(server, submitter.secret);
  for (let index = 0; index < 10; index++) {
    const worker = await registerWorker(server, workerKey.secret, { name: `mac-${index}` });
    const build = await claim(server, worker.token);
    await heartbeat(server, worker.token, build!.id);
  }
  // Warm the key's lastUsedAt so both requests do the same authentication work.
  await operationsFor(1, submitter.secret);
  const few = await operationsFor(3, submitter.secret);
  const many = await operationsFor(30, submitter.secret);
  console.log(`database operations per request: ${few} for 3 builds, ${many} for 30 builds`);
  expect(many).toBe(few);
  expect(many).toBeLessThanOrEqual(6);
});
