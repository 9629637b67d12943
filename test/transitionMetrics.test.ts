// Transition metrics count what was committed: a transition inside a transaction that rolls back
// (or is rerun after a deadlock) must not be counted. Calls the domain functions in this process,
// on a real database, and reads this process's metrics registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlPool } from '../server/src/db/sql.ts';
import { transitions } from '../server/src/metrics/metrics.ts';
import { lockBuild } from '../server/src/queue/buildRows.ts';
import { transition } from '../server/src/queue/transition.ts';
import { buildStatus, createApiKey, submitBuild, useServer } from './helpers/flows.ts';

const { server, database } = useServer();
let pool: SqlPool;
let submitter: string;

beforeAll(async () => {
  pool = new SqlPool(database.url, { size: 2, statementTimeoutMs: 5000 });
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
});

afterAll(async () => {
  await pool?.close();
});

const cancelledFromPending = async () =>
  (await transitions.get()).values.find((value) => value.labels.from === 'PENDING' && value.labels.to === 'CANCELLED')?.value ?? 0;

describe('transition metrics', () => {
  it('counts a transition once its transaction commits, and not one that rolled back', async () => {
    const build = await submitBuild(server, submitter);
    const cancel = { to: 'CANCELLED' as const, actor: 'test', reason: 'metrics test' };
    const before = await cancelledFromPending();

    await expect(
      pool.transaction(async (tx) => {
        await transition(tx, await lockBuild(tx, build.id), cancel);
        throw new Error('something after the transition failed');
      }),
    ).rejects.toThrow('something after the transition failed');
    expect(await buildStatus(server, build.id)).toBe('PENDING');
    expect(await cancelledFromPending()).toBe(before);

    await pool.transaction(async (tx) => transition(tx, await lockBuild(tx, build.id), cancel));
    expect(await buildStatus(server, build.id)).toBe('CANCELLED');
    expect(await cancelledFromPending()).toBe(before + 1);
  });
});
