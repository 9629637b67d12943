// Webhook deliveries on one server, to a receiver in this process on 127.0.0.1 answering 204 at once:
// (1) the lifecycle with a webhook on every build event, 50 workers: builds/s and the lag under that
// load; (2) the rate one server sends a backlog at (deliveries written in one transaction, timed from
// its commit to the last one recorded DELIVERED); (3) the lag from a change to its delivery at a
// steady submit rate. Lag is receipt time minus the body's createdAt, the change's transaction time
// (its commit is a little later, so this slightly overstates commit → delivery).
import { startWebhookReceiver, type WebhookReceiver } from '../../test/helpers/webhookReceiver.ts';
import { adminQuery } from '../../test/helpers/postgresCluster.ts';
import { Recorder } from '../lib/agent.ts';
import { type Caller, overHttp } from '../lib/api.ts';
import {
  type BenchContext,
  cpuMeter,
  describeCpu,
  prepareServer,
  preUploadSources,
  type ScenarioResult,
  startFleet,
  stopFleet,
  submitOne,
} from '../lib/fleet.ts';
import { measureLifecycle, LIFECYCLE_SUBMITTERS } from '../lib/measure.ts';
import { round, sleep, summarize, waitFor } from '../lib/stats.ts';
import { lifecycleRow } from './lifecycle.ts';

const ALL_BUILD_EVENTS = ['BUILD_SUBMITTED', 'BUILD_STARTED', 'BUILD_COMPLETED', 'BUILD_FAILED', 'BUILD_CANCELLED'];

export async function webhooksScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const sizes = ctx.quick
    ? { backlog: 1000, steadyPerSecond: 50, steadySeconds: 4, lifecycleBuilds: 250 }
    : { backlog: 10_000, steadyPerSecond: 100, steadySeconds: 10, lifecycleBuilds: 1500 };
  const database = await ctx.env.createDatabase('webhooks');
  const server = await ctx.env.startServer(database, { FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  const receiver = await startWebhookReceiver();
  const rows: ScenarioResult['rows'] = [];
  const raw: Record<string, unknown> = {};
  try {
    const handle = await prepareServer(server);
    const admin = overHttp(handle.endpoint, server.adminKey);

    // (1) The lifecycle with every build event sent: what webhooks cost the build path, and the lag
    // under load. First, while the queue is empty: the fleet would claim the later phases' builds too.
    ctx.log(`webhooks: lifecycle, 50 workers, ${sizes.lifecycleBuilds} builds, a webhook on every build event`);
    const lifecycleHook = await createWebhook(admin, `${receiver.url}/lifecycle`, ALL_BUILD_EVENTS);
    const recorder = new Recorder();
    const agents = await startFleet([handle], 50, recorder);
    let figures;
    try {
      figures = await measureLifecycle(ctx, [handle], agents, recorder, sizes.lifecycleBuilds, {
        submitConcurrency: LIFECYCLE_SUBMITTERS,
        timeoutMs: 180_000,
      });
    } finally {
      await stopFleet(agents);
    }
    // submitted, started and completed for each build.
    const expected = sizes.lifecycleBuilds * 3;
    await waitFor(() => received(receiver, '/lifecycle') >= expected, 120_000, `${expected} lifecycle deliveries`, 20);
    const lifecycle = { ...figures, deliveries: expected, lagMs: lagOf(receiver, '/lifecycle') };
    raw.lifecycle = lifecycle;
    rows.push(lifecycleRow('webhooks: lifecycle, 50 workers, every build event sent', figures));
    rows.push({
      scenario: 'webhooks: lag during that lifecycle',
      result: `p50 ${lifecycle.lagMs.p50} ms, p99 ${lifecycle.lagMs.p99} ms`,
      details: `${expected} deliveries (build.submitted, started, completed); change → received: max ${lifecycle.lagMs.max} ms`,
    });
    await deleteWebhook(admin, lifecycleHook);

    // (2) A backlog, written at once: the sender's own rate.
    ctx.log(`webhooks: a backlog of ${sizes.backlog} deliveries`);
    const backlogHook = await createWebhook(admin, `${receiver.url}/backlog`, ['BUILD_SUBMITTED']);
    const [source] = (await preUploadSources([handle], 1)).ids;
    await submitOne(handle, source!);
    await waitFor(() => received(receiver, '/backlog') >= 1, 30_000, 'the first delivery');
    const meter = cpuMeter(ctx.env, [server]);
    await adminQuery(
      database.url,
      `WITH made AS (
         INSERT INTO "WebhookDelivery" ("webhookId", event, payload)
         SELECT $1::uuid, 'BUILD_SUBMITTED', to_jsonb(b) FROM "Build" b, generate_series(1, $2::int) LIMIT $2::int
         RETURNING 1)
       SELECT count(*), pg_notify('free_agent_events', '{"topic":"webhookDeliveriesDue"}') FROM made`,
      [backlogHook, sizes.backlog],
    );
    // Committed, and the server notified: the sender starts now.
    const startedAt = Date.now();
    await waitFor(() => received(receiver, '/backlog') >= sizes.backlog + 1, 300_000, `${sizes.backlog} deliveries`, 20);
    await waitForDelivered(database.url, backlogHook, sizes.backlog + 1);
    const backlogSeconds = (Date.now() - startedAt) / 1000;
    const backlogCpu = meter.end();
    const unique = new Set(receiver.requests.filter((request) => request.path === '/backlog').map((request) => request.body.id)).size;
    const backlog = {
      deliveries: sizes.backlog,
      seconds: round(backlogSeconds, 2),
      perSecond: round(sizes.backlog / backlogSeconds, 1),
      duplicates: received(receiver, '/backlog') - unique,
      cpuPercent: backlogCpu.percent,
    };
    raw.backlog = backlog;
    rows.push({
      scenario: 'webhooks: backlog, 1 server',
      result: `${backlog.perSecond} deliveries/s`,
      details: `${backlog.deliveries} deliveries sent and recorded DELIVERED in ${backlog.seconds} s; duplicates ${backlog.duplicates}; CPU ${describeCpu(backlog.cpuPercent)}`,
    });
    await deleteWebhook(admin, backlogHook);

    // (3) A steady rate of changes: the lag from each to its delivery.
    ctx.log(`webhooks: ${sizes.steadyPerSecond} submits/s for ${sizes.steadySeconds} s`);
    await createWebhook(admin, `${receiver.url}/steady`, ['BUILD_SUBMITTED']);
    const count = sizes.steadyPerSecond * sizes.steadySeconds;
    const { ids } = await preUploadSources([handle], count);
    const steadyStart = performance.now();
    await Promise.all(
      ids.map(async (id, index) => {
        await sleep(steadyStart + (index * 1000) / sizes.steadyPerSecond - performance.now());
        await submitOne(handle, id);
      }),
    );
    await waitFor(() => received(receiver, '/steady') >= count, 60_000, `${count} steady deliveries`, 20);
    const steady = { submitsPerSecond: sizes.steadyPerSecond, deliveries: count, lagMs: lagOf(receiver, '/steady') };
    raw.steady = steady;
    rows.push({
      scenario: 'webhooks: lag at a steady rate',
      result: `p50 ${steady.lagMs.p50} ms, p99 ${steady.lagMs.p99} ms`,
      details: `${count} build.submitted deliveries at ${sizes.steadyPerSecond} submits/s; change → received: max ${steady.lagMs.max} ms`,
    });
  } finally {
    await receiver.close();
    await ctx.env.stopServer(server);
    await database.drop();
  }
  return { rows, targets: [], raw };
}

const received = (receiver: WebhookReceiver, path: string) => receiver.requests.filter((request) => request.path === path).length;

/** Receipt time minus each body's createdAt (the change's transaction time), ms. */
function lagOf(receiver: WebhookReceiver, path: string) {
  return summarize(
    receiver.requests.filter((request) => request.path === path).map((request) => request.receivedAt - Date.parse(request.body.createdAt)),
  );
}

/** Resolves once `count` of the webhook's deliveries are recorded DELIVERED; fails after a minute. */
async function waitForDelivered(databaseUrl: string, webhookId: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await adminQuery(
      databaseUrl,
      `SELECT count(*)::int AS n FROM "WebhookDelivery" WHERE "webhookId" = $1 AND status = 'DELIVERED'`,
      [webhookId],
    );
    if ((row!.n as number) >= count) return;
    if (Date.now() > deadline) throw new Error(`${row!.n} of ${count} deliveries were recorded DELIVERED within a minute`);
    await sleep(20);
  }
}

async function createWebhook(admin: Caller, url: string, events: string[]): Promise<string> {
  const data = await admin<{ createWebhook: { webhook: { id: string } } }>(
    `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
    { input: { url, events } },
  );
  return data.createWebhook.webhook.id;
}

async function deleteWebhook(admin: Caller, id: string): Promise<void> {
  await admin(`mutation ($id: ID!) { deleteWebhook(id: $id) { id } }`, { id });
}
