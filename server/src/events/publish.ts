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
 * A column for a statement's final SELECT list: raises `events` once for each row of `rows` (what
 * follows FROM: the statement's own CTE of changed rows, with a WHERE if need be) and is the number
 * of rows it raised them for. A CTE that only notifies runs only if the final SELECT reads it, so
 * notifications live in the SELECT list, and the caller checks this column with assertNotified():
 * a statement tidied into dropping its NOTIFY then fails instead of going quiet.
 */
export function notifyRows(rows: Sql, events: BusEvent[]): Sql {
  // pg_notify is volatile: PostgreSQL neither flattens this subquery nor drops its unread columns.
  return sql`(SELECT count(*) FROM (SELECT ${notifyList(events)} FROM ${rows}) sent)::int`;
}

/**
 * Checks a statement's notification column (see notifyRows()) against the rows it changed, which
 * its data-modifying CTEs say whatever its SELECT reads. Throws a plain Error (a bug, answered as
 * INTERNAL; inside a transaction it rolls the change back) when they differ, or when the column is
 * missing from the row.
 */
export function assertNotified(statement: string, changedRows: number, notifiedRows: number | undefined): void {
  if (notifiedRows !== changedRows)
    throw new Error(`${statement} changed ${changedRows} row(s) but raised events for ${notifiedRows ?? 'none'}: its NOTIFY was dropped`);
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
