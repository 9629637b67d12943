import { sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import { conflict, notFound } from '../errors.ts';
import { publish } from '../events/publish.ts';
import type { WebhookDeliveryStatus, WebhookEvent } from '../generated/prisma/enums.ts';
import { assertId } from '../queue/validate.ts';

/*
 * The outbox's statements. Deliveries are written by the trigger of migration 0013, in the
 * transaction of the change they announce; these lease due ones to one server process at a time,
 * record what each attempt did, and put one back for redelivery.
 */

/** Past this long after the change, a delivery is not retried again: it is FAILED. */
export const RETRY_WINDOW_SECONDS = 24 * 60 * 60;

/** A delivery leased for one attempt, with what sending it needs. */
export interface LeasedDelivery {
  id: string;
  event: WebhookEvent;
  payload: unknown;
  createdAt: Date;
  /** This attempt's number (1 for the first); recording the attempt names it. */
  attempts: number;
  url: string;
  /** False when the webhook was disabled after the delivery was written: it is not sent. */
  enabled: boolean;
  sealedSecret: Buffer;
}

/**
 * Leases up to `limit` due deliveries (PENDING, `nextAttemptAt` reached, oldest due first) to the
 * caller for `leaseSeconds`: their `nextAttemptAt` moves to the lease's end and their attempt count
 * goes up, in one statement. SKIP LOCKED lets processes lease at once without waiting on each other
 * or leasing the same row; a process that dies while sending loses nothing, since the delivery is
 * due again when its lease lapses (and is then sent again, with the same id: at least once).
 */
export function leaseDueDeliveries(db: SqlClient, limit: number, leaseSeconds: number): Promise<LeasedDelivery[]> {
  return db.query<LeasedDelivery>(sql`
    WITH due AS (
      SELECT id FROM "WebhookDelivery"
      WHERE status = 'PENDING' AND "nextAttemptAt" <= now()
      ORDER BY "nextAttemptAt"
      LIMIT ${limit}::int
      FOR UPDATE SKIP LOCKED)
    UPDATE "WebhookDelivery" d
    SET "nextAttemptAt" = now() + make_interval(secs => ${leaseSeconds}::float8), attempts = d.attempts + 1
    FROM due, "Webhook" w
    WHERE d.id = due.id AND w.id = d."webhookId"
    RETURNING d.id, d.event, d.payload, d."createdAt", d.attempts, w.url, w.enabled, w."sealedSecret"`);
}

/** What one attempt did, to be recorded on its delivery. */
export interface AttemptRecord {
  id: string;
  /** The attempt number the lease gave: a record for an older attempt (the lease lapsed and another process took it) changes nothing. */
  attempt: number;
  delivered: boolean;
  /** A failure that no retry can mend (the webhook was disabled): FAILED at once. */
  final?: boolean;
  statusCode: number | null;
  error: string | null;
  latencyMs: number | null;
  /** When not delivered: wait this long before the next attempt. */
  retryDelaySeconds: number;
}

/**
 * Records an attempt: DELIVERED, or PENDING again after `retryDelaySeconds`, or FAILED when the
 * next attempt would fall past RETRY_WINDOW_SECONDS after the change (or the failure is final).
 * Resolves with the delivery's new status, or null when the row was no longer this attempt's.
 */
export async function recordAttempt(db: SqlClient, record: AttemptRecord): Promise<WebhookDeliveryStatus | null> {
  const gaveUp = sql`(${record.final ?? false}::boolean OR retry.next > d."createdAt" + make_interval(secs => ${RETRY_WINDOW_SECONDS}::float8))`;
  const [row] = await db.query<{ status: WebhookDeliveryStatus }>(sql`
    UPDATE "WebhookDelivery" d
    SET status = (CASE WHEN ${record.delivered}::boolean THEN 'DELIVERED' WHEN ${gaveUp} THEN 'FAILED' ELSE 'PENDING' END)::"WebhookDeliveryStatus",
      "nextAttemptAt" = CASE WHEN NOT ${record.delivered}::boolean AND NOT ${gaveUp} THEN retry.next END,
      "deliveredAt" = CASE WHEN ${record.delivered}::boolean THEN now() END,
      "lastStatusCode" = ${record.statusCode}::int,
      "lastError" = ${record.error}::text,
      "lastLatencyMs" = ${record.latencyMs}::int
    FROM (SELECT now() + make_interval(secs => ${record.retryDelaySeconds}::float8) AS next) retry
    WHERE d.id = ${record.id}::uuid AND d.attempts = ${record.attempt}::int AND d.status = 'PENDING'
    RETURNING d.status`);
  return row?.status ?? null;
}

/**
 * Puts a delivery back in the queue, due now, under its own id (receivers that saw it may
 * deduplicate it): a DELIVERED or FAILED one is sent again; a PENDING one is brought forward. Its
 * retries end as any delivery's do, a day after the change: a redelivery after that is one attempt.
 * Throws NOT_FOUND for an unknown id and CONFLICT while its webhook is disabled.
 */
export async function redeliverWebhookDelivery(pool: SqlPool, id: string): Promise<void> {
  const deliveryId = assertId(id, 'id');
  await pool.transaction(async (tx) => {
    const [delivery] = await tx.query<{ enabled: boolean }>(sql`
      SELECT w.enabled FROM "WebhookDelivery" d JOIN "Webhook" w ON w.id = d."webhookId"
      WHERE d.id = ${deliveryId}::uuid FOR UPDATE OF d`);
    if (!delivery) throw notFound('Webhook delivery');
    if (!delivery.enabled) throw conflict('The webhook is disabled; enable it to redeliver its deliveries');
    await tx.execute(sql`
      UPDATE "WebhookDelivery" SET status = 'PENDING', "nextAttemptAt" = now(), "deliveredAt" = NULL WHERE id = ${deliveryId}::uuid`);
    await publish(tx, { topic: 'webhookDeliveriesDue' });
  });
}
