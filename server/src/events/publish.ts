import { join, sql, type Sql, type SqlClient } from '../db/sql.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';

/** What a worker is told on `workerEvents`. */
export type WorkerEventKind = 'CANCEL_BUILD' | 'DRAIN' | 'RESUME' | 'REVOKE';

/** The channel every server process listens on; payloads are small (ids), subscribers refetch. */
export const EVENT_CHANNEL = 'free_agent_events';

export type BusEvent =
  | { topic: 'buildUpdated'; buildId: string; status: BuildStatus }
  | { topic: 'jobAvailable'; platform: Platform; buildId: string }
  | { topic: 'workerEvents'; workerId: string; kind: WorkerEventKind; buildId: string | null }
  | { topic: 'workerUpdated'; workerId: string }
  | { topic: 'credentialsChanged'; workerId?: string; apiKeyId?: string }
  | { topic: 'buildLogAppended'; buildId: string; attempt: number; fromSeq: number; toSeq: number }
  | { topic: 'buildTelemetryRecorded'; buildId: string; fromId: string; toId: string }
  // Webhook deliveries were written (raised by the outbox trigger of migration 0013, whose payload
  // text must stay identical so PostgreSQL folds a transaction's repeats into one) or put back.
  | { topic: 'webhookDeliveriesDue' };

/** `pg_notify(…), pg_notify(…)` for a SELECT list: several events in one statement. */
export function notifyList(events: BusEvent[]): Sql {
  return join(events.map((event) => sql`pg_notify(${EVENT_CHANNEL}, ${JSON.stringify(event)})`));
}

/**
 * NOTIFY inside the caller's transaction: PostgreSQL delivers it on commit only, so a
 * rolled-back change raises nothing.
 */
export async function publish(tx: SqlClient, ...events: BusEvent[]): Promise<void> {
  await tx.query(sql`SELECT ${notifyList(events)}`);
}

/** The events every build status change raises. */
export function buildChangeEvents(change: {
  buildId: string;
  status: BuildStatus;
  platform: Platform;
  workerId: string | null;
}): BusEvent[] {
  const events: BusEvent[] = [{ topic: 'buildUpdated', buildId: change.buildId, status: change.status }];
  if (change.status === 'PENDING') events.push({ topic: 'jobAvailable', platform: change.platform, buildId: change.buildId });
  if (change.status === 'CANCELLED' && change.workerId)
    events.push({ topic: 'workerEvents', workerId: change.workerId, kind: 'CANCEL_BUILD', buildId: change.buildId });
  return events;
}
