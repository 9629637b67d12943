import { Repeater } from '@repeaterjs/repeater';
import type { Logger } from 'pino';
import { sql, type SqlPool } from '../db/sql.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import type { LocalEvent, PostgresEventTarget } from './postgresEventTarget.ts';

export interface JobAvailable {
  platform: Platform;
  buildId: string | null;
}

/** A pending build to wake a worker for: its id (null: not named) and the labels its worker must offer. */
interface PendingJob {
  buildId: string | null;
  requiredLabels: string[];
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
 * of its own that may claim it (its platform and required labels; least recently woken first); if builds of that platform are still pending a moment
 * later it wakes more, one per pending build, until none are left or no idle worker remains.
 * Workers also claim on a slow timer, so a missed wake-up costs seconds, never a stuck build.
 */
export class JobDispatcher {
  #waiters = new Set<Waiter>();
  #rechecks = new Map<Platform, NodeJS.Timeout>();
  #recheckingSoon = new Set<Platform>();
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

  /**
   * A worker's live feed of wake-ups for the given platforms. A build submitted after the worker's
   * last claim but before this waiter was added announced itself to nobody, so pending builds are
   * looked at once the waiter is in: no wake-up falls between a claim and a subscription.
   */
  subscribe(workerId: string, platforms: Platform[]): AsyncIterable<JobAvailable> {
    return new Repeater<JobAvailable>(async (push, stop) => {
      const waiter: Waiter = { workerId, platforms: new Set(platforms), lastWokenAt: 0, push: (job) => void push(job) };
      this.#waiters.add(waiter);
      for (const platform of platforms) this.#recheckSoon(platform);
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

  /** Wakes one idle worker per build (a null id: a pending build not named), each one that may claim it. */
  async #wake(platform: Platform, buildIds: (string | null)[]): Promise<void> {
    try {
      await this.#wakeFor(platform, await this.#jobsOf(buildIds));
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not dispatch a job');
    }
  }

  /** The announced builds with their required labels (none for a build no longer found). */
  async #jobsOf(buildIds: (string | null)[]): Promise<PendingJob[]> {
    const named = buildIds.filter((id): id is string => id !== null);
    const rows = named.length
      ? await this.pool.query<{ id: string; requiredLabels: string[] }>(
          sql`SELECT id, "requiredLabels" FROM "Build" WHERE id = ANY(${named}::uuid[])`,
        )
      : [];
    const labelsById = new Map(rows.map((row) => [row.id, row.requiredLabels]));
    return buildIds.map((buildId) => ({ buildId, requiredLabels: (buildId && labelsById.get(buildId)) || [] }));
  }

  async #wakeFor(platform: Platform, jobs: PendingJob[]): Promise<void> {
    const { chosen, deferred } = await this.#idleWaiters(platform, jobs);
    const now = Date.now();
    for (const { waiter, job } of chosen) {
      waiter.lastWokenAt = now;
      waiter.push({ platform, buildId: job.buildId });
    }
    // Look again soon when someone was woken (it may lose the race) or an idle worker had to wait.
    if (chosen.length > 0 || deferred) this.#scheduleRecheck(platform);
  }

  /**
   * For each job in turn, the idle waiter woken longest ago whose worker offers all the job's
   * required labels (each worker at most once); `deferred` tells that such a waiter was left out
   * only because it was woken a moment ago. Idle: a free slot as "Worker_hasFreeSlot" says (the
   * claim's own test), so a worker running fewer builds than it may counts too. Labels are read
   * from the worker row, so a re-registration's labels count at once.
   */
  async #idleWaiters(
    platform: Platform,
    jobs: PendingJob[],
  ): Promise<{ chosen: { waiter: Waiter; job: PendingJob }[]; deferred: boolean }> {
    const candidates = [...this.#waiters].filter((waiter) => waiter.platforms.has(platform));
    if (candidates.length === 0 || jobs.length === 0) return { chosen: [], deferred: false };
    const idle = await this.pool.query<{ id: string; labels: string[] }>(sql`
      SELECT id, labels FROM "Worker" WHERE id = ANY(${[...new Set(candidates.map((waiter) => waiter.workerId))]}::uuid[])
        AND "Worker_hasFreeSlot"(status, "activeBuilds", "maxConcurrentBuilds")`);
    const labelsOf = new Map(idle.map((worker) => [worker.id, new Set(worker.labels)]));
    const now = Date.now();
    const ordered = candidates.sort((a, b) => a.lastWokenAt - b.lastWokenAt);
    const chosen: { waiter: Waiter; job: PendingJob }[] = [];
    const chosenWorkers = new Set<string>();
    let deferred = false;
    for (const job of jobs) {
      for (const waiter of ordered) {
        const offered = labelsOf.get(waiter.workerId);
        if (!offered || chosenWorkers.has(waiter.workerId) || !job.requiredLabels.every((label) => offered.has(label))) continue;
        if (now - waiter.lastWokenAt < CLAIM_GRACE_MS) {
          deferred = true;
          continue;
        }
        chosen.push({ waiter, job });
        chosenWorkers.add(waiter.workerId);
        break;
      }
    }
    return { chosen, deferred };
  }

  /** Rechecks the platform once this turn's subscriptions are in: a burst of them costs one query. */
  #recheckSoon(platform: Platform): void {
    if (this.#recheckingSoon.has(platform)) return;
    this.#recheckingSoon.add(platform);
    setImmediate(() => {
      this.#recheckingSoon.delete(platform);
      void this.#recheck(platform);
    });
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

  /** Wakes workers for the platform's most urgent pending builds (as many as there are waiters). */
  async #recheck(platform: Platform): Promise<void> {
    try {
      const pending = await this.pool.query<{ requiredLabels: string[] }>(sql`
        SELECT "requiredLabels" FROM "Build" WHERE status = 'PENDING' AND platform = ${platform}::"Platform"
        ORDER BY priority DESC, "submittedAt" LIMIT ${this.#waiters.size}::int`);
      if (pending.length > 0)
        await this.#wakeFor(
          platform,
          pending.map(({ requiredLabels }) => ({ buildId: null, requiredLabels })),
        );
    } catch (error) {
      this.log.warn({ err: error, platform }, 'could not recheck pending builds');
    }
  }

  /** After the bus reconnects, events may have been missed: wake workers for whatever is pending. */
  async #resync(): Promise<void> {
    const platforms = new Set([...this.#waiters].flatMap((waiter) => [...waiter.platforms]));
    for (const platform of platforms) await this.#recheck(platform);
  }
}
