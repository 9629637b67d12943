import { z } from 'zod';
import { join, sql, type Sql, type SqlClient } from '../db/sql.ts';
import { BuildStatus, Platform } from '../generated/prisma/enums.ts';

/** What a worker is told on `workerEvents`. */
export const WorkerEventKind = z.enum(['CANCEL_BUILD', 'DRAIN', 'RESUME', 'REVOKE']);
export type WorkerEventKind = z.infer<typeof WorkerEventKind>;

/** The channel every server process listens on; payloads are small (ids), subscribers refetch. */
export const EVENT_CHANNEL = 'free_agent_events';

// Ids as PostgreSQL prints uuids; z.guid() accepts any of them, as the uuid type does.
const id = z.guid();
const count = z.int().nonnegative();

/**
 * The one schema of every payload on EVENT_CHANNEL, whoever builds it: TypeScript (notifyList),
 * SQL strings (queue/logs.ts, queue/telemetry.ts) and plpgsql (the "claimBuilds" function and the
 * webhook outbox trigger in prisma/functions). The bus parses each payload it receives with it
 * (postgresEventTarget.ts), so one built elsewhere that drifts is dropped and logged, and
 * test/eventPayloads.test.ts parses those built in the database. Unknown keys are stripped rather
 * than refused, so a newer server's extra field does not silence an older one during an upgrade.
 */
export const BusEvent = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('buildUpdated'), buildId: id, status: z.enum(BuildStatus) }),
  z.object({ topic: z.literal('jobAvailable'), platform: z.enum(Platform), buildId: id }),
  z.object({ topic: z.literal('workerEvents'), workerId: id, kind: WorkerEventKind, buildId: id.nullable() }),
  z.object({ topic: z.literal('workerUpdated'), workerId: id }),
  z.object({ topic: z.literal('credentialsChanged'), workerId: id.optional(), apiKeyId: id.optional() }),
  z.object({ topic: z.literal('buildLogAppended'), buildId: id, attempt: count, fromSeq: count, toSeq: count }),
  // Telemetry ids are bigints, sent as text.
  z.object({ topic: z.literal('buildTelemetryRecorded'), buildId: id, fromId: z.string(), toId: z.string() }),
  // Webhook deliveries were written (raised by the outbox trigger, whose payload text must stay
  // identical so PostgreSQL folds a transaction's repeats into one) or put back.
  z.object({ topic: z.literal('webhookDeliveriesDue') }),
]);
export type BusEvent = z.infer<typeof BusEvent>;

/**
 * Reads a payload received on EVENT_CHANNEL: `{ event }`, or `{ error }` saying why it is not JSON
 * or does not match BusEvent. Never throws.
 */
export function parseBusEvent(payload: string): { event: BusEvent } | { error: Error } {
  try {
    return { event: BusEvent.parse(JSON.parse(payload)) };
  } catch (error) {
    return { error: error as Error };
  }
}

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
