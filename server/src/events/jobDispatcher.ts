import { Repeater } from '@repeaterjs/repeater';
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import type { LocalEvent, PostgresEventTarget } from './postgresEventTarget.ts';

export interface JobAvailable {
  platform: Platform;
  buildId: string | null;
}

interface Waiter {
  workerId: string;
  platforms: Set<Platform>;
  lastWokenAt: number;
  push: (job: JobAvailable) => void;
}

/** Until a woken worker has had this long to claim, it is not woken again for another build. */
const CLAIM_GRACE_MS = 1000;
/** When builds are still pending this long after a wake-up, more idle workers are woken. */
const RECHECK_MS = 300;

/**
 * Hands "job available" to a few workers instead of all of them, so hundreds of idle
 * subscribers do not race for one build. Per pending build, this process wakes one idle worker
 * of its own (least recently woken first); if builds of that platform are still pending a moment
 * later it wakes more, one per pending build, until none are left or no idle worker remains.
 * Workers also claim on a slow timer, so a missed wake-up costs seconds, never a stuck build.
 */
export class JobDispatcher {
  #waiters = new Set<Waiter>();
  #rechecks = new Map<Platform, NodeJS.Timeout>();

  constructor(
    private readonly db: Database,
    events: PostgresEventTarget,
    private readonly log: Logger,
  ) {
    events.addEventListener('jobAvailable', (event) => {
      const job = (event as CustomEvent<Extract<LocalEvent, { topic: 'jobAvailable' }>>).detail;
      void this.#wake(job.platform, 1, job.buildId);
    });
    events.addEventListener('resync', () => void this.#resync());
  }

  get size(): number {
    return this.#waiters.size;
  }

  /** A worker's live feed of wake-ups for the given platforms. */
  subscribe(workerId: string, platforms: Platform[]): AsyncIterable<JobAvailable> {
    return new Repeater<JobAvailable>(async (push, stop) => {
      const waiter: Waiter = { workerId, platforms: new Set(platforms), lastWokenAt: 0, push: (job) => void push(job) };
      this.#waiters.add(waiter);
      await stop;
      this.#waiters.delete(waiter);
    });
  }

  close(): void {
    for (const timer of this.#rechecks.values()) clearTimeout(timer);
    this.#rechecks.clear();
  }

  async #wake(platform: Platform, count: number, buildId: string | null): Promise<void> {
    try {
      const { chosen, deferred } = await this.#idleWaiters(platform, count);
      const now = Date.now();
      for (const waiter of chosen) {
        waiter.lastWokenAt = now;
        waiter.push({ platform, buildId });
      }
      // Look again soon when someone was woken (it may lose the race) or an idle worker had to wait.
      if (chosen.length > 0 || deferred) this.#scheduleRecheck(platform);
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not dispatch a job');
    }
  }

  /**
   * Up to `count` idle waiters for a platform, woken longest ago first; `deferred` tells that an
   * idle one was left out only because it was woken a moment ago.
   */
  async #idleWaiters(platform: Platform, count: number): Promise<{ chosen: Waiter[]; deferred: boolean }> {
    const candidates = [...this.#waiters].filter((waiter) => waiter.platforms.has(platform));
    if (candidates.length === 0) return { chosen: [], deferred: false };
    const idle = await this.db.worker.findMany({
      where: { id: { in: [...new Set(candidates.map((waiter) => waiter.workerId))] }, status: 'IDLE' },
      select: { id: true },
    });
    const idleIds = new Set(idle.map((worker) => worker.id));
    const now = Date.now();
    const chosen: Waiter[] = [];
    const chosenWorkers = new Set<string>();
    let deferred = false;
    for (const waiter of candidates.sort((a, b) => a.lastWokenAt - b.lastWokenAt)) {
      if (!idleIds.has(waiter.workerId) || chosenWorkers.has(waiter.workerId)) continue;
      if (now - waiter.lastWokenAt < CLAIM_GRACE_MS) {
        deferred = true;
        continue;
      }
      if (chosen.length < count) {
        chosen.push(waiter);
        chosenWorkers.add(waiter.workerId);
      }
    }
    return { chosen, deferred };
  }

  #scheduleRecheck(platform: Platform): void {
    if (this.#rechecks.has(platform)) return;
    const timer = setTimeout(() => {
      this.#rechecks.delete(platform);
      void this.#recheck(platform);
    }, RECHECK_MS);
    timer.unref();
    this.#rechecks.set(platform, timer);
  }

  async #recheck(platform: Platform): Promise<void> {
    try {
      const pending = await this.db.build.count({ where: { status: 'PENDING', platform } });
      if (pending > 0) await this.#wake(platform, pending, null);
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not recheck pending builds');
    }
  }

  /** After the bus reconnects, events may have been missed: wake workers for whatever is pending. */
  async #resync(): Promise<void> {
    const pending = await this.db.build.groupBy({ by: ['platform'], where: { status: 'PENDING' }, _count: true }).catch(() => []);
    for (const group of pending) await this.#wake(group.platform, group._count, null);
  }
}
