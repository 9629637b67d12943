import { Repeater } from '@repeaterjs/repeater';
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import { queueStats, type QueueStats } from '../queue/stats.ts';
import type { PostgresEventTarget } from './postgresEventTarget.ts';

const INTERVAL_MS = 1000;

/**
 * The live queueStats feed: however many consoles subscribe, this process computes the
 * statistics at most once a second, and only after something changed.
 */
export class QueueStatsFeed {
  #subscribers = new Set<(stats: QueueStats) => void>();
  #dirty = true;
  #latest: QueueStats | undefined;
  #timer: NodeJS.Timeout | undefined;
  #computing: Promise<QueueStats> | undefined;

  constructor(
    private readonly db: Database,
    events: PostgresEventTarget,
    private readonly log: Logger,
  ) {
    const markDirty = () => {
      this.#dirty = true;
    };
    for (const topic of ['buildUpdated', 'workerUpdated', 'resync']) events.addEventListener(topic, markDirty);
  }

  get size(): number {
    return this.#subscribers.size;
  }

  subscribe(): AsyncIterable<QueueStats> {
    return new Repeater<QueueStats>(async (push, stop) => {
      const deliver = (stats: QueueStats) => void push(stats);
      this.#subscribers.add(deliver);
      this.#timer ??= setInterval(() => void this.#tick(), INTERVAL_MS);
      deliver(this.#latest && !this.#dirty ? this.#latest : await this.#compute());
      await stop;
      this.#subscribers.delete(deliver);
      if (this.#subscribers.size === 0) this.close();
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (!this.#dirty || this.#subscribers.size === 0) return;
    try {
      const stats = await this.#compute();
      for (const deliver of this.#subscribers) deliver(stats);
    } catch (error) {
      this.log.warn({ err: error }, 'could not compute queue statistics');
    }
  }

  /** One computation at a time; callers arriving meanwhile share it. */
  #compute(): Promise<QueueStats> {
    this.#computing ??= (async () => {
      this.#dirty = false;
      try {
        this.#latest = await queueStats(this.db);
        return this.#latest;
      } finally {
        this.#computing = undefined;
      }
    })();
    return this.#computing;
  }
}
