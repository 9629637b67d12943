import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The lock file's name in the data directory; it holds the owning server's pid and a newline. */
export const LOCK_FILE = 'server.pid';

/** Another live server owns the data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`The data directory ${dataDir} is in use by pid ${pid}: stop that server first, or give this one another FREE_AGENT_DATA_DIR`);
  }
}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void;
}

/**
 * Makes this process the one owner of `dataDir` (an absolute path to an existing directory): its
 * pid goes into `<dataDir>/server.pid`, created only if absent, so two starts cannot both take it. A
 * file naming a pid that no longer runs (a server killed with SIGKILL, a machine that crashed) is
 * stale and replaced. The lock is also released when the process exits, even without release().
 * Throws DataDirInUseError when a live process holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  for (;;) {
    if (createWhole(file, `${process.pid}\n`)) break;
    const holder = readPid(file);
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) throw new DataDirInUseError(dataDir, holder);
    removeStale(file, holder);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readPid(file) === process.pid) unlinkSync(file);
  };
  process.on('exit', release);
  return { release };
}

/**
 * Creates `file` holding `content`, or returns false if it exists. The content is written to a file
 * of our own first and linked into place (link fails if the name is taken, as O_EXCL does), so
 * nobody ever reads a lock file half written.
 */
function createWhole(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.new`;
  writeFileSync(draft, content, { mode: 0o644 });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

/**
 * Removes a stale lock file, unless another start replaced it since `stalePid` was read: the file
 * is first moved aside (atomic), so only the one start that moved the stale file away deletes it;
 * a live holder's file moved by mistake is put back.
 */
function removeStale(file: string, stalePid: number | undefined): void {
  const aside = `${file}.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another start removed it
    throw error;
  }
  if (readPid(aside) === stalePid) unlinkSync(aside);
  else renameSync(aside, file);
}

/** The pid in the file; undefined when it is missing or does not hold a pid. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that the process exists; EPERM means it does, as another user's. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
