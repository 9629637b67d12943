import pg from 'pg';
import type { Logger } from 'pino';
import { droppedEvents } from '../metrics/metrics.ts';
import { EVENT_CHANNEL, parseBusEvent, type BusEvent } from './publish.ts';

/** What the bus dispatches locally: every BusEvent by its topic, plus `resync` after a reconnect. */
export type LocalEvent = BusEvent | { topic: 'resync' };

const KEEPALIVE_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * The cross-process event bus on PostgreSQL LISTEN/NOTIFY, as an EventTarget for yoga's
 * createPubSub (shaped like @graphql-yoga/redis-event-target). One dedicated connection listens;
 * a keepalive query notices a dead one; it reconnects with backoff, listens again and then
 * dispatches `resync` so subscribers catch up on what they may have missed. Publishing normally
 * happens inside the transaction of the change (see publish.ts); dispatchEvent publishes outside one.
 */
export class PostgresEventTarget extends EventTarget {
  #client: pg.Client | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #backoffMs = 100;
  #closed = false;
  #connectedOnce = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Resolves once listening; later connection losses are repaired in the background. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#keepalive);
    clearTimeout(this.#reconnect);
    await this.#client?.end().catch(() => undefined);
  }

  /** Publishes through NOTIFY; every process, this one included, dispatches it on arrival. */
  override dispatchEvent(event: Event): boolean {
    const detail = (event as CustomEvent<BusEvent>).detail;
    this.#client?.query('SELECT pg_notify($1, $2)', [EVENT_CHANNEL, JSON.stringify(detail)]).catch((error) => {
      this.log.warn({ err: error, topic: detail.topic }, 'could not publish an event');
    });
    return true;
  }

  /** Dispatches to this process's listeners only. */
  dispatchLocal(event: LocalEvent): void {
    super.dispatchEvent(new CustomEvent(event.topic, { detail: event }));
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel !== EVENT_CHANNEL || !message.payload) return;
      const parsed = parseBusEvent(message.payload);
      if ('event' in parsed) this.dispatchLocal(parsed.event);
      else {
        // Say which payload drifted (one built in SQL or plpgsql, most likely), rather than dispatch it half-formed.
        droppedEvents.inc();
        this.log.warn({ err: parsed.error, payload: message.payload.slice(0, 500) }, 'dropped an event that does not match its schema');
      }
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENT_CHANNEL}`);
    } catch (error) {
      // A connection that came up but could not listen would otherwise stay open, unused.
      await client.end().catch(() => undefined);
      throw error;
    }
    this.#client = client;
    this.#backoffMs = 100;
    clearInterval(this.#keepalive);
    this.#keepalive = setInterval(() => this.#ping(client), KEEPALIVE_MS);
    this.#keepalive.unref();
    if (this.#connectedOnce) {
      this.log.info('event bus reconnected');
      this.dispatchLocal({ topic: 'resync' });
    }
    this.#connectedOnce = true;
  }

  #ping(client: pg.Client): void {
    const timeout = setTimeout(() => this.#lost(client, new Error('keepalive timed out')), KEEPALIVE_TIMEOUT_MS);
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      (error) => {
        clearTimeout(timeout);
        this.#lost(client, error);
      },
    );
  }

  #lost(client: pg.Client, error?: Error): void {
    if (this.#closed || client !== this.#client) return;
    this.#client = undefined;
    clearInterval(this.#keepalive);
    this.log.warn({ err: error }, 'event bus connection lost; reconnecting');
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#reconnect = setTimeout(() => {
      this.#connect().catch((error) => {
        this.log.warn({ err: error, retryInMs: this.#backoffMs }, 'event bus reconnect failed');
        this.#scheduleReconnect();
      });
    }, delay);
  }
}
