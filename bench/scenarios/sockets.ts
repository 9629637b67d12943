// (c) Server RSS and idle CPU with 100, 1,000 (and 10,000) open worker subscriptions, each its
// own socket with its own worker token subscribed to jobAvailable. The sockets are held by child
// processes (bench/socketHolder.ts) so the client's own work stays out of this process.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../../test/helpers/server.ts';
import { registerWorker } from '../lib/api.ts';
import { Inspector } from '../lib/inspector.ts';
import { type BenchContext, prepareServer, type ScenarioResult } from '../lib/fleet.ts';
import { clusterCpuSeconds, cpuSeconds, rssKiB } from '../lib/proc.ts';
import { mapConcurrent, median, round, sleep } from '../lib/stats.ts';

const holderScript = fileURLToPath(new URL('../socketHolder.ts', import.meta.url));
const benchDir = fileURLToPath(new URL('..', import.meta.url));
/** Quiet time before each reading, and the idle window CPU is measured over (shorter when quick). */
const SETTLE_MS = { full: 4000, quick: 2000 };
const IDLE_WINDOW_MS = { full: 10_000, quick: 4000 };
const SOCKETS_PER_HOLDER = 5000;
const OPEN_CONCURRENCY = 100;

interface Reply {
  type: string;
  [key: string]: unknown;
}

const holders = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of holders) child.kill('SIGKILL');
});

/** One child process holding sockets, driven over IPC. */
class SocketHolder {
  readonly #child: ChildProcess;
  #replies: Reply[] = [];
  #waiters: (() => void)[] = [];
  readonly exited: Promise<void>;

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', holderScript], {
      cwd: benchDir,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    holders.add(this.#child);
    this.#child.on('message', (reply: Reply) => {
      this.#replies.push(reply);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    void this.exited.then(() => {
      holders.delete(this.#child);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  async #request(message: object, type: string, timeoutMs: number): Promise<Reply> {
    this.#child.send(message);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#replies.findIndex((reply) => reply.type === type);
      if (index >= 0) return this.#replies.splice(index, 1)[0]!;
      if (this.#child.exitCode !== null || this.#child.signalCode !== null)
        throw new Error(`the socket holder exited before answering ${type}`);
      if (performance.now() > deadline) throw new Error(`the socket holder did not answer ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  open(wsUrl: string, tokens: string[]): Promise<Reply> {
    return this.#request({ type: 'open', wsUrl, tokens, concurrency: OPEN_CONCURRENCY }, 'opened', 300_000);
  }

  status(): Promise<Reply> {
    return this.#request({ type: 'status' }, 'status', 10_000);
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await this.#request({ type: 'close' }, 'closed', 60_000).catch(() => this.#child.kill('SIGKILL'));
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

interface Reading {
  /** VmRSS right after a full GC, KiB. */
  rssAfterGcKiB: number;
  /** V8 heap in use right after that GC, KiB. */
  heapUsedAfterGcKiB: number;
  /** Memory outside the V8 heap that V8 knows of (buffers), KiB. */
  externalAfterGcKiB: number;
  /** Median VmRSS over the idle window that follows (no forced GC), KiB, and the range seen. */
  rssKiB: number;
  rssRangeKiB: [number, number];
  /** Server CPU over the idle window, % of one core. */
  idleCpuPercent: number;
  postgresIdleCpuPercent: number;
}

interface Phase extends Reading {
  sockets: number;
  holders: number;
  openSeconds: number;
  failed: number;
  subscriptionsEnded: number;
}

export async function socketsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const levels = ctx.quick ? [100, 1000] : [100, 1000, 10_000];
  const database = await ctx.env.createDatabase('sockets');
  const phases: Phase[] = [];
  let registration = { workers: 0, seconds: 0, perSecond: 0 };
  let baseline: Reading | undefined;
  try {
    // Workers are registered through one server process, and the sockets opened on a fresh one, so
    // the memory figures hold no garbage from the registrations.
    const registrar = await ctx.env.startServer(database);
    const most = levels.at(-1)!;
    let tokens: string[];
    try {
      const handle = await prepareServer(registrar);
      ctx.log(`sockets: registering ${most} workers`);
      const registerStartedAt = performance.now();
      const workers = await mapConcurrent(
        Array.from({ length: most }, (_, index) => index),
        50,
        (index) => registerWorker(handle.registrar, { name: `socket-${index}`, platforms: ['ANDROID'] }),
      );
      const registerSeconds = (performance.now() - registerStartedAt) / 1000;
      registration = { workers: most, seconds: round(registerSeconds, 1), perSecond: round(most / registerSeconds, 1) };
      tokens = workers.map((worker) => worker.token);
    } finally {
      await ctx.env.stopServer(registrar);
    }

    // One server process (--inspect only so the benchmark can ask for a full GC before reading RSS)
    // for every level, its sockets opened on top of the level before: separate processes for each
    // level differed by more in baseline RSS (tens of MiB) than 900 sockets add.
    const server = await ctx.env.startServer(database, { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
    const inspector = await Inspector.connect(server);
    const holders: SocketHolder[] = [];
    try {
      baseline = await reading(ctx, server, inspector);
      ctx.log(`sockets: 0 open, RSS ${mib(baseline.rssAfterGcKiB)} after GC, idle CPU ${baseline.idleCpuPercent}%`);
      let opened = 0;
      for (const level of levels) {
        const adding = tokens.slice(opened, level);
        opened = level;
        const holderCount = Math.max(1, Math.ceil(adding.length / SOCKETS_PER_HOLDER));
        const chunk = Math.ceil(adding.length / holderCount);
        const startedAt = performance.now();
        const replies = await Promise.all(
          Array.from({ length: holderCount }, (_, index) => {
            const holder = new SocketHolder();
            holders.push(holder);
            return holder.open(server.wsUrl, adding.slice(index * chunk, (index + 1) * chunk));
          }),
        );
        const openSeconds = (performance.now() - startedAt) / 1000;
        const failed = replies.reduce((sum, reply) => sum + Number(reply.failed), 0);
        if (failed > 0)
          ctx.log(
            `sockets: ${failed} sockets failed to open: ${JSON.stringify(replies.flatMap((reply) => reply.errors as string[]).slice(0, 3))}`,
          );
        const measured = await reading(ctx, server, inspector);
        const statuses = await Promise.all(holders.map((holder) => holder.status()));
        const open = statuses.reduce((sum, status) => sum + Number(status.open), 0);
        const ended = statuses.reduce((sum, status) => sum + Number(status.subscriptionsEnded), 0);
        phases.push({
          sockets: open,
          openSeconds: round(openSeconds, 1),
          failed,
          subscriptionsEnded: ended,
          holders: holders.length,
          ...measured,
        });
        ctx.log(
          `sockets: ${open} open (${round(openSeconds, 1)} s to open the last ${adding.length}), RSS ${mib(measured.rssAfterGcKiB)} after GC ` +
            `(${mib(measured.rssKiB)} without), idle CPU ${measured.idleCpuPercent}%`,
        );
      }
    } finally {
      inspector.close();
      await Promise.all(holders.map((holder) => holder.close()));
      await ctx.env.stopServer(server);
    }
  } finally {
    await database.drop();
  }

  const at = (sockets: number) => phases.find((phase) => phase.sockets >= sockets * 0.99 && phase.sockets <= sockets);
  const hundred = at(100);
  const thousand = at(1000);
  const tenThousand = at(10_000);
  const perSocket = (
    from: Phase | undefined,
    to: Phase | undefined,
    field: 'rssAfterGcKiB' | 'rssKiB' | 'heapUsedAfterGcKiB' | 'externalAfterGcKiB',
  ) => (from && to ? round((to[field] - from[field]) / (to.sockets - from.sockets), 1) : Number.NaN);
  // RSS moves in steps (heap pages and malloc arenas are taken and kept in chunks), so one reading
  // can land before or after a step: the larger of the two RSS slopes is the figure checked.
  const perSocketKiB = Math.max(perSocket(hundred, thousand, 'rssAfterGcKiB'), perSocket(hundred, thousand, 'rssKiB'));
  const idleCpu = thousand?.idleCpuPercent ?? Number.NaN;
  const rows = [
    {
      scenario: '(c) server RSS per extra socket, 100 → 1,000',
      result: `${perSocketKiB} KB/socket; idle CPU ${idleCpu}%`,
      details:
        `RSS after a full GC: 0 sockets ${mib(baseline?.rssAfterGcKiB)}, 100 ${mib(hundred?.rssAfterGcKiB)}, 1,000 ${mib(thousand?.rssAfterGcKiB)} ` +
        `(V8 heap ${perSocket(hundred, thousand, 'heapUsedAfterGcKiB')} + external ${perSocket(hundred, thousand, 'externalAfterGcKiB')} KB/socket; RSS without forced GC, median of ${(ctx.quick ? IDLE_WINDOW_MS.quick : IDLE_WINDOW_MS.full) / 1000} s: ` +
        `${perSocket(hundred, thousand, 'rssKiB')} KB/socket); idle CPU with 0/100/1,000 sockets ${baseline?.idleCpuPercent}/${hundred?.idleCpuPercent}/${idleCpu}% ` +
        `of a core (PostgreSQL ${thousand?.postgresIdleCpuPercent}%); registerWorker ${registration.perSecond}/s ×50 for ${registration.workers} workers` +
        (phases.some((phase) => phase.subscriptionsEnded > 0)
          ? `; ${Math.max(...phases.map((phase) => phase.subscriptionsEnded))} subscriptions ended early`
          : ''),
    },
  ];
  if (levels.includes(10_000)) {
    rows.push({
      scenario: '(c) server RSS with 10,000 sockets, 1 process',
      result: tenThousand ? `${mib(tenThousand.rssAfterGcKiB)} after GC` : 'not reached',
      details: tenThousand
        ? `${tenThousand.sockets} open (${tenThousand.failed} failed; opened in ${tenThousand.openSeconds} s from ${tenThousand.holders} ` +
          `child processes); ${mib(tenThousand.rssKiB)} without forced GC; ${perSocket(thousand, tenThousand, 'rssAfterGcKiB')} KB per extra socket ` +
          `1,000 → 10,000; idle CPU ${tenThousand.idleCpuPercent}% of a core (PostgreSQL ${tenThousand.postgresIdleCpuPercent}%)`
        : `phases: ${JSON.stringify(phases.map((phase) => phase.sockets))}`,
    });
  }
  return {
    rows,
    targets: [
      {
        name: 'server RSS per extra socket, 100 → 1,000',
        measured: perSocketKiB,
        unit: 'KB',
        target: '≤ 64',
        ok: perSocketKiB <= 64,
        note: 'larger of RSS after a full GC and median RSS',
      },
      { name: 'idle server CPU with 1,000 sockets', measured: idleCpu, unit: '%', target: '≤ 5', ok: idleCpu <= 5, note: '% of one core' },
    ],
    raw: {
      registration,
      baseline,
      phases,
      perSocketKiB,
      idleWindowMs: ctx.quick ? IDLE_WINDOW_MS.quick : IDLE_WINDOW_MS.full,
      settleMs: ctx.quick ? SETTLE_MS.quick : SETTLE_MS.full,
    },
  };
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '—' : `${round(kib / 1024, 1)} MiB`;
}

/** After a settle: a full GC and a reading, then RSS samples every 500 ms and CPU over an idle window. */
async function reading(ctx: BenchContext, server: TestServer, inspector: Inspector): Promise<Reading> {
  await sleep(ctx.quick ? SETTLE_MS.quick : SETTLE_MS.full);
  await inspector.collectGarbage();
  await sleep(200);
  const rssAfterGcKiB = rssKiB(server.pid);
  const memory = await inspector.memoryUsage();
  const heapUsedAfterGcKiB = Math.round(memory.heapUsed / 1024);
  const externalAfterGcKiB = Math.round(memory.external / 1024);
  const samples: number[] = [];
  const cpuBefore = cpuSeconds(server.pid);
  const postgresBefore = ctx.env.postmasterPid ? clusterCpuSeconds(ctx.env.postmasterPid) : Number.NaN;
  const startedAt = performance.now();
  const windowMs = ctx.quick ? IDLE_WINDOW_MS.quick : IDLE_WINDOW_MS.full;
  while (performance.now() - startedAt < windowMs) {
    samples.push(rssKiB(server.pid));
    await sleep(500);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const postgresAfter = ctx.env.postmasterPid ? clusterCpuSeconds(ctx.env.postmasterPid) : Number.NaN;
  return {
    rssAfterGcKiB,
    heapUsedAfterGcKiB,
    externalAfterGcKiB,
    rssKiB: median(samples),
    rssRangeKiB: [Math.min(...samples), Math.max(...samples)],
    idleCpuPercent: round(((cpuSeconds(server.pid) - cpuBefore) / seconds) * 100, 2),
    postgresIdleCpuPercent: round(((postgresAfter - postgresBefore) / seconds) * 100, 2),
  };
}
