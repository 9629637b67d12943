import type { Logger } from 'pino';
import { GroupCommit } from '../db/groupCommit.ts';
import { logPassFailure } from '../db/connectionLoss.ts';
import type { SqlPool } from '../db/sql.ts';
import type { PostgresEventTarget } from '../events/postgresEventTarget.ts';
import { webhookDeliveries } from '../metrics/metrics.ts';
import { webhookBody, wireEventName } from './body.ts';
import { type AttemptRecord, type LeasedDelivery, leaseDueDeliveries, recordAttempt } from './outbox.ts';
import { WebhookSender } from './send.ts';
import type { WebhookServices } from './webhooks.ts';

/** Sends in flight at once per server process. */
const CONCURRENCY = 32;
/** The due scan runs at least this often: for other processes' retries and notifications missed. */
const POLL_MS = 5_000;
/** Graceful stop waits this long for sends in flight, then interrupts them (they are retried at once). */
const STOP_GRACE_MS = 5_000;
/** Retries wait at most this long, however many attempts came before (unless the base delay is longer). */
const MAX_RETRY_DELAY_SECONDS = 60 * 60;

export interface DeliverySettings {
  /** One attempt's bound, seconds (FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS). */
  timeoutSeconds: number;
  /** The first retry's delay bound, doubled for each further attempt (FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS). */
  retryBaseSeconds: number;
}

/**
 * The wait before the attempt after attempt `attempt` failed: exponential backoff with full jitter
 * (a uniform draw from 0 to base·2^(attempt−1), capped at an hour), so receivers coming back after
 * an outage are not hit by every server's retries at once. Seconds.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number, random = Math.random()): number {
  const ceiling = Math.min(baseSeconds * 2 ** Math.min(attempt - 1, 40), Math.max(baseSeconds, MAX_RETRY_DELAY_SECONDS));
  return random * ceiling;
}

export interface WebhookDeliveries {
  /** Stops leasing, lets sends in flight finish (interrupting them after a grace) and records them. */
  stop(): Promise<void>;
}

/**
 * Runs this process's webhook sender: it leases due deliveries when the outbox trigger says some
 * were written (`webhookDeliveriesDue` on the event bus), after a bus reconnect, when one of its own
 * retries falls due, and every POLL_MS; it sends at most CONCURRENCY at once and records each
 * attempt. Every server process runs one: the lease makes each delivery go out from one at a time.
 * Attempts are recorded through a GroupCommit of their own (on `databaseUrl`), so attempts that end
 * together share a commit without joining the build path's batches.
 */
export function startWebhookDeliveries(options: {
  pool: SqlPool;
  databaseUrl: string;
  statementTimeoutMs: number;
  events: PostgresEventTarget;
  webhooks: WebhookServices;
  settings: DeliverySettings;
  log: Logger;
}): WebhookDeliveries {
  const { pool, events, settings, log } = options;
  const { sealer, policy } = options.webhooks;
  const sender = new WebhookSender(policy, settings.timeoutSeconds * 1000);
  const results = new GroupCommit(pool, options.databaseUrl, { statementTimeoutMs: options.statementTimeoutMs, log });
  // A send is bounded by the timeout; the lease leaves it as long again to record the attempt
  // before another process may take the delivery.
  const leaseSeconds = 2 * settings.timeoutSeconds + 5;
  const inFlight = new Set<Promise<void>>();
  const interrupt = new AbortController();
  let stopped = false;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  /** The last scan stopped for want of free places, not of due deliveries: a send that ends scans again. */
  let backlog = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;

  /** Makes the next scan happen at `at` (ms since the epoch) unless one is due sooner already. */
  const wakeAt = (at: number) => {
    if (stopped || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timerAt = Infinity;
        wake();
      },
      Math.max(0, at - Date.now()),
    );
  };

  const wake = () => {
    if (stopped) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = pump()
      .catch((error) => logPassFailure(log, error, {}, 'webhook due scan failed'))
      .finally(() => {
        pumping = undefined;
        if (pumpAgain) {
          pumpAgain = false;
          wake();
        } else wakeAt(Date.now() + POLL_MS);
      });
  };

  /** Leases as many due deliveries as there are free places, until none are due or none are free. */
  async function pump(): Promise<void> {
    while (!stopped) {
      const free = CONCURRENCY - inFlight.size;
      backlog = free <= 0;
      if (backlog) return;
      const leased = await leaseDueDeliveries(pool, free, leaseSeconds);
      for (const delivery of leased) track(attempt(delivery));
      if (leased.length < free) return;
    }
  }

  const track = (sending: Promise<void>) => {
    inFlight.add(sending);
    void sending.finally(() => {
      inFlight.delete(sending);
      if (backlog) wake();
    });
  };

  /** Sends one leased delivery and records the attempt; never throws. */
  async function attempt(delivery: LeasedDelivery): Promise<void> {
    const record = await send(delivery);
    try {
      const status = await recordAttempt(results, record);
      if (status) webhookDeliveries.inc({ outcome: status === 'PENDING' ? 'retry' : status.toLowerCase() });
      if (status === 'PENDING') wakeAt(Date.now() + record.retryDelaySeconds * 1000);
      if (status === 'FAILED')
        log.warn({ deliveryId: delivery.id, attempts: delivery.attempts, error: record.error }, 'webhook delivery failed');
    } catch (error) {
      // Its lease lapses and the delivery is sent again: at least once.
      logPassFailure(log, error, { deliveryId: delivery.id }, 'could not record a webhook delivery attempt');
    }
  }

  async function send(delivery: LeasedDelivery): Promise<AttemptRecord> {
    const base = {
      id: delivery.id,
      attempt: delivery.attempts,
      retryDelaySeconds: retryDelaySeconds(delivery.attempts, settings.retryBaseSeconds),
    };
    if (!delivery.enabled)
      return {
        ...base,
        delivered: false,
        final: true,
        statusCode: null,
        latencyMs: null,
        error: 'Not sent: the webhook was disabled before this delivery went out',
      };
    let secret: string;
    try {
      secret = sealer.decrypt(delivery.sealedSecret).toString('utf8');
    } catch {
      return {
        ...base,
        delivered: false,
        statusCode: null,
        latencyMs: null,
        error: 'Not sent: the signing secret cannot be decrypted (was FREE_AGENT_ENCRYPTION_KEY changed?)',
      };
    }
    const outcome = await sender.send(
      {
        url: delivery.url,
        secret,
        event: wireEventName(delivery.event),
        deliveryId: delivery.id,
        body: JSON.stringify(webhookBody(delivery)),
      },
      interrupt.signal,
    );
    // Interrupted by a stop: due again at once, for any process to send.
    return { ...base, ...outcome, ...(interrupt.signal.aborted ? { retryDelaySeconds: 0 } : {}) };
  }

  const onDue = () => wake();
  events.addEventListener('webhookDeliveriesDue', onDue);
  events.addEventListener('resync', onDue);
  wake();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      events.removeEventListener('webhookDeliveriesDue', onDue);
      events.removeEventListener('resync', onDue);
      await pumping;
      const grace = setTimeout(() => interrupt.abort(), STOP_GRACE_MS);
      await Promise.all(inFlight);
      clearTimeout(grace);
      await results.close();
      await sender.close();
    },
  };
}
