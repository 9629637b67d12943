// Process figures from /proc: RSS of the server, and CPU time of the server, the PostgreSQL
// cluster and this client, so each scenario says which of them the 2 cores went to.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** VmRSS of a process in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number(match[1]);
}

interface StatFields {
  ppid: number;
  /** utime + stime in seconds. */
  own: number;
  /** cutime + cstime in seconds: children that exited and were waited for. */
  children: number;
}

/** A process's stat, or one thread's when `tid` is given. */
function readStat(pid: number, tid?: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), own: (at(14) + at(15)) / CLOCK_TICKS_PER_SECOND, children: (at(16) + at(17)) / CLOCK_TICKS_PER_SECOND };
}

/** CPU seconds (user + system) a process has used so far, its threads included. */
export function cpuSeconds(pid: number): number {
  return readStat(pid)?.own ?? Number.NaN;
}

/**
 * CPU seconds (user + system) a process's main thread has used so far: in Node, the event loop's,
 * which one core bounds however idle the others are.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return readStat(pid, pid)?.own ?? Number.NaN;
}

/**
 * CPU seconds of a PostgreSQL cluster: the postmaster, its live children (backends, background
 * workers) and the children it already reaped.
 */
export function clusterCpuSeconds(postmasterPid: number): number {
  const postmaster = readStat(postmasterPid);
  if (!postmaster) return Number.NaN;
  let total = postmaster.own + postmaster.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === postmasterPid) total += stat.own;
  }
  return total;
}

/** The postmaster listening on `port` on this machine, found by its command line (embedded cluster only). */
export function findPostmaster(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('/postgres')) continue;
    const portIndex = argv.indexOf('-p');
    if (portIndex >= 0 && argv[portIndex + 1] === String(port)) return Number(entry);
  }
  return undefined;
}

/** This process's own CPU seconds (user + system). */
export function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** CPU seconds the whole machine spent busy (all cores, every process). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as number[];
  void idle;
  void iowait;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

export function loadAverage(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

const MACHINE = 'machine';

/**
 * CPU used over a stretch of wall time by the given processes, as % of one core. Take a
 * snapshot before, call `end()` after. `parts` are measured too but are within a source (a
 * process's thread), so `others` does not count them twice.
 */
export class CpuMeter {
  #startedAt = performance.now();
  #start: Record<string, number>;
  #parts: Set<string>;

  readonly sources: Record<string, () => number>;

  constructor(sources: Record<string, () => number>, parts: Record<string, () => number> = {}) {
    this.sources = { ...sources, ...parts, [MACHINE]: machineBusySeconds };
    this.#parts = new Set(Object.keys(parts));
    this.#start = Object.fromEntries(Object.entries(this.sources).map(([name, read]) => [name, read()]));
  }

  /**
   * % of one core per source, and `others`: what the rest of the machine (processes not measured
   * here, e.g. other jobs on a shared machine) used meanwhile.
   */
  end(): { seconds: number; percent: Record<string, number> } {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const percent: Record<string, number> = {};
    let ours = 0;
    for (const [name, read] of Object.entries(this.sources)) {
      const used = read() - this.#start[name]!;
      if (name !== MACHINE && !this.#parts.has(name)) ours += used;
      percent[name] = Math.round((used / seconds) * 1000) / 10;
    }
    if (MACHINE in percent) {
      percent.others = Math.max(0, Math.round((((percent[MACHINE]! * seconds) / 100 - ours) / seconds) * 1000) / 10);
      delete percent[MACHINE];
    }
    return { seconds, percent };
  }
}
