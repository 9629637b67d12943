import { Repeater } from '@repeaterjs/repeater';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BuildStatus } from '../generated/prisma/enums.ts';
import { FINISHED_STATUSES } from '../queue/buildRows.ts';

/**
 * The process's Prometheus metrics. One server process is one app, so one registry per process;
 * domain functions record into it directly, as they record into the database.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'free_agent_process_' });

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const durationBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export const claims = new Counter({
  name: 'free_agent_claims_total',
  help: 'claimBuild calls by outcome: claimed, or empty (nothing to claim for this worker).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const claimDuration = new Histogram({
  name: 'free_agent_claim_duration_seconds',
  help: 'Time from a claim to its answer, waiting for a turn included.',
  buckets: latencyBuckets,
  registers: [registry],
});

export const transitions = new Counter({
  name: 'free_agent_build_transitions_total',
  help: 'Build status transitions made by this process.',
  labelNames: ['from', 'to'] as const,
  registers: [registry],
});

export const droppedEvents = new Counter({
  name: 'free_agent_dropped_events_total',
  help: 'Event bus payloads this process received and dropped because they do not match the BusEvent schema (events/publish.ts).',
  registers: [registry],
});

export const queueWait = new Histogram({
  name: 'free_agent_queue_wait_seconds',
  help: 'Time from submission (or requeue) to claim.',
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  registers: [registry],
});

export const buildDuration = new Histogram({
  name: 'free_agent_build_duration_seconds',
  help: 'Time from start to finish of builds, by final status.',
  labelNames: ['status'] as const,
  buckets: durationBuckets,
  registers: [registry],
});

export const openSubscriptions = new Gauge({
  name: 'free_agent_subscriptions',
  help: 'Open GraphQL subscriptions on this process, by field.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'free_agent_webhook_delivery_attempts_total',
  help: 'Webhook delivery attempts recorded by this process, by what became of the delivery: delivered, retry (sent again later) or failed (given up).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const groupCommitFallbacks = new Counter({
  name: 'free_agent_group_commit_fallbacks_total',
  help: 'Group-committed batches that failed as a whole and whose statements then ran again one by one (db/groupCommit.ts).',
  registers: [registry],
});

export function recordTransition(from: BuildStatus | null, to: BuildStatus, startedAt?: Date | null): void {
  transitions.inc({ from: from ?? 'NONE', to });
  if (startedAt && FINISHED_STATUSES.includes(to)) buildDuration.observe({ status: to }, (Date.now() - startedAt.getTime()) / 1000);
}

/**
 * Counts a subscription as open for as long as its client listens. A Repeater, not an async
 * generator: a generator's return() waits behind a pending next(), so a closed subscription would
 * stay registered (and keep its feed) until its next event.
 */
export function trackSubscription<T>(kind: string, source: AsyncIterable<T>): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    openSubscriptions.inc({ kind });
    const iterator = source[Symbol.asyncIterator]();
    void stop.then(() => iterator.return?.());
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) await push(next.value);
    } finally {
      openSubscriptions.dec({ kind });
      stop();
    }
  });
}
