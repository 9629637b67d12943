import { Repeater } from '@repeaterjs/repeater';
import type { Logger } from 'pino';
import { sql, type SqlPool } from '../db/sql.ts';
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
  /** Builds announced since the last dispatch, per platform: a burst costs one idle-worker query. */
  #announced = new Map<Platform, string[]>();

  constructor(
    private readonly pool: SqlPool,
    events: PostgresEventTarget,
    private readonly log: Logger,
  ) {
    events.addEventListener('jobAvailable', (event) => {
      const job = (event as CustomEvent<Extract<LocalEvent, { topic: 'jobAvailable' }>>).detail;
      this.#announce(job.platform, job.buildId);
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

  #announce(platform: Platform, buildId: string): void {
    const announced = this.#announced.get(platform);
    if (announced) {
      announced.push(buildId);
      return;
    }
    const buildIds = [buildId];
    this.#announced.set(platform, buildIds);
    setImmediate(() => {
      this.#announced.delete(platform);
      void this.#wake(platform, buildIds);
    });
  }

  /** Wakes one idle worker per build (a null: a pending build not named). */
  async #wake(platform: Platform, buildIds: (string | null)[]): Promise<void> {
    try {
      const { chosen, deferred } = await this.#idleWaiters(platform, buildIds.length);
      const now = Date.now();
      chosen.forEach((waiter, index) => {
        waiter.lastWokenAt = now;
        waiter.push({ platform, buildId: buildIds[index] });
      });
      // Look again soon when someone was woken (it may lose the race) or an idle worker had to wait.
      if (chosen.length > 0 || deferred) this.#scheduleRecheck(platform);
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not dispatch a job');
    }
  }

  /**
   * Up to `count` idle waiters for a platform, woken longest ago first; `deferred` tells that an
   * idle one was left out only because it was woken a moment ago. Idle: live (not DRAINING or
   * OFFLINE) with a free slot, so a worker running fewer builds than it may counts too.
   */
  async #idleWaiters(platform: Platform, count: number): Promise<{ chosen: Waiter[]; deferred: boolean }> {
    const candidates = [...this.#waiters].filter((waiter) => waiter.platforms.has(platform));
    if (candidates.length === 0) return { chosen: [], deferred: false };
    const idle = await this.pool.query<{ id: string }>(sql`
      SELECT id FROM "Worker" WHERE id = ANY(${[...new Set(candidates.map((waiter) => waiter.workerId))]}::uuid[])
        AND status IN ('IDLE', 'BUILDING') AND "activeBuilds" < "maxConcurrentBuilds"`);
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
      const [{ pending }] = await this.pool.query<{ pending: number }>(sql`
        SELECT count(*)::int AS pending FROM "Build" WHERE status = 'PENDING' AND platform = ${platform}::"Platform"`);
      if (pending > 0) await this.#wake(platform, unnamed(pending, this.#waiters.size));
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not recheck pending builds');
    }
  }

  /** After the bus reconnects, events may have been missed: wake workers for whatever is pending. */
  async #resync(): Promise<void> {
    const pending = await this.pool
      .query<{ platform: Platform; count: number }>(
        sql`SELECT platform, count(*)::int AS count FROM "Build" WHERE status = 'PENDING' GROUP BY platform`,
      )
      .catch(() => []);
    for (const group of pending) await this.#wake(group.platform, unnamed(group.count, this.#waiters.size));
  }
}

/** Pending builds not named one by one: no more than there are waiters to wake. */
function unnamed(pending: number, waiters: number): null[] {
  return new Array<null>(Math.min(pending, waiters)).fill(null);
}
