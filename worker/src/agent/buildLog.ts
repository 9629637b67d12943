import { Writable } from 'node:stream';
import { ApiError, backoffMs, isTransient } from '../client/api.ts';
import { Redactor } from './redactor.ts';
import { TerminalLines } from './terminalLines.ts';

export { secretValuesFromEnvironment } from './redactor.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** One log line as appendBuildLogs takes it; `at` is when the agent read it (ISO 8601). */
export interface LogLine {
  level: LogLevel;
  message: string;
  at: string;
}

export interface BuildLogOptions {
  /** Sends one numbered batch (the agent calls appendBuildLogs); may throw ApiError/ConnectionError; resolves with the server's answer. */
  send(firstSeq: number, lines: LogLine[]): Promise<{ nextSeq: number; accepted: number; truncated: boolean }>;
  /** Values to redact. */
  secrets: string[];
  /** A `::progress N` line was printed (N an integer 0..100). */
  onProgress?(percent: number): void;
  /** Unacknowledged lines above which the streams stop accepting output (default 20,000). */
  maxBufferedLines?: number;
  /** How long a line may wait for more to join its batch, in ms (default 150). */
  flushIntervalMs?: number;
}

export interface BuildLog {
  /** The child's stdout (level INFO); write() returns false under backpressure. */
  stdout: NodeJS.WritableStream;
  /** The child's stderr (level WARN: build tools print ordinary progress there). */
  stderr: NodeJS.WritableStream;
  /** Adds one of the agent's own lines (a multi-line message becomes several lines). */
  append(level: LogLevel, message: string): void;
  /** The last n lines (at most 200 are kept), redacted. */
  lastLines(n: number): string[];
  /** Lines read but not yet acknowledged by the server: what the log holds in memory. */
  bufferedLineCount(): number;
  /**
   * The server is reachable again (the agent's socket reconnected): a batch waiting out its
   * backoff is sent now, and the backoff starts over.
   */
  retryNow(): void;
  /**
   * Ends both streams (if the caller has not), sends what is left and resolves once every line is
   * acknowledged, or once the server said the build is no longer ours (FORBIDDEN, CONFLICT,
   * NOT_FOUND), its log is full (PAYLOAD_TOO_LARGE, truncated), refused a batch as invalid, or
   * kept answering INTERNAL for INTERNAL_RETRY_MS. An outage is waited out.
   */
  close(): Promise<void>;
}

/** The server's MAX_LINES_PER_BATCH (server/src/queue/logs.ts). */
const MAX_LINES_PER_BATCH = 5000;
/** JSON bytes of messages in one batch: well below the server's default 1 MiB request bound. */
const MAX_BATCH_JSON_BYTES = 512 * 1024;
const LAST_LINES_KEPT = 200;
/** Exactly this line (after `\r` rendering) is a progress marker: `::progress ` and an integer 0..100. */
const PROGRESS_MARKER = /^::progress (\d{1,3})\s*$/;
/**
 * How long a batch the server keeps refusing with INTERNAL is sent again (ms). The fault may pass
 * (a failing disk, a bad deploy rolled back), but one that does not would hold the build's end
 * for ever; an outage (unreachable, UNAVAILABLE) is waited out however long it lasts.
 */
const INTERNAL_RETRY_MS = 5 * 60_000;

interface QueuedLine extends LogLine {
  seq: number;
  jsonBytes: number;
}

/**
 * A build's log: output piped into `stdout`/`stderr` becomes redacted lines, numbered from 1 and
 * sent in batches (one in flight; a line waits at most `flushIntervalMs` for company). Every line
 * is kept until the server acknowledges it; after an error the batch is re-sent from the server's
 * `nextSeq`, so nothing is lost or doubled across reconnects and server restarts. When more than
 * `maxBufferedLines` lines wait, the streams hold their write callbacks, so the child blocks on its pipe.
 */
export function createBuildLog(options: BuildLogOptions): BuildLog {
  const maxBufferedLines = options.maxBufferedLines ?? 20_000;
  const flushIntervalMs = options.flushIntervalMs ?? 150;
  const redactor = new Redactor(options.secrets);
  const queue: QueuedLine[] = []; // unacknowledged lines, in seq order
  const lastLines: string[] = [];
  const waitingWriters: (() => void)[] = [];
  const closeWaiters: (() => void)[] = [];
  let nextSeq = 1;
  let stopped = false;
  let closing = false;
  let inFlight = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let retryAttempt = 0;
  /** When the server began answering INTERNAL, every answer since included. */
  let failingInternallySince: number | undefined;

  function enqueue(level: LogLevel, rawLine: string): void {
    const message = redactor.redact(rawLine);
    lastLines.push(message);
    if (lastLines.length > LAST_LINES_KEPT) lastLines.shift();
    const progress = PROGRESS_MARKER.exec(message);
    if (progress && Number(progress[1]) <= 100) options.onProgress?.(Number(progress[1]));
    if (stopped) return;
    queue.push({
      seq: nextSeq++,
      level,
      message,
      at: new Date().toISOString(),
      jsonBytes: Buffer.byteLength(JSON.stringify(message)) + 60,
    });
    schedule();
  }

  function schedule(): void {
    if (inFlight || stopped || flushTimer) return;
    if (queue.length >= MAX_LINES_PER_BATCH || closing) return void sendBatch();
    if (queue.length > 0) flushTimer = setTimeout(() => ((flushTimer = undefined), void sendBatch()), flushIntervalMs);
  }

  function stop(): void {
    stopped = true;
    queue.length = 0;
    settle();
  }

  /** Wakes writers below the bound and close() once nothing is left. */
  function settle(): void {
    if (stopped || queue.length <= maxBufferedLines) for (const resume of waitingWriters.splice(0)) resume();
    if (closing && (stopped || queue.length === 0)) for (const resolve of closeWaiters.splice(0)) resolve();
  }

  async function sendBatch(): Promise<void> {
    if (inFlight || stopped || queue.length === 0) return;
    inFlight = true;
    let bytes = 0;
    let count = 0;
    while (count < queue.length && count < MAX_LINES_PER_BATCH && (count === 0 || bytes + queue[count]!.jsonBytes <= MAX_BATCH_JSON_BYTES))
      bytes += queue[count++]!.jsonBytes;
    const batch = queue.slice(0, count);
    try {
      const answer = await options.send(
        batch[0]!.seq,
        batch.map(({ level, message, at }) => ({ level, message, at })),
      );
      retryAttempt = 0;
      failingInternallySince = undefined;
      // Everything below the server's nextSeq is stored; from there on it is (re-)sent.
      let acknowledged = 0;
      while (acknowledged < queue.length && queue[acknowledged]!.seq < answer.nextSeq) acknowledged++;
      queue.splice(0, acknowledged);
      if (answer.truncated || (queue.length > 0 && queue[0]!.seq > answer.nextSeq)) stop(); // full, or lines it lost cannot be re-sent
      inFlight = false;
      settle();
      if (queue.length > 0 && (queue.length >= MAX_LINES_PER_BATCH || Date.now() - Date.parse(queue[0]!.at) >= flushIntervalMs))
        void sendBatch();
      else schedule();
    } catch (error) {
      inFlight = false;
      const internal = error instanceof ApiError && error.code === 'INTERNAL';
      failingInternallySince = internal ? (failingInternallySince ?? Date.now()) : undefined;
      const givenUp = internal && Date.now() - failingInternallySince! > INTERNAL_RETRY_MS;
      if (isTransient(error) && !givenUp) {
        flushTimer = setTimeout(() => ((flushTimer = undefined), void sendBatch()), Math.max(100, backoffMs(retryAttempt++)));
      } else stop(); // FORBIDDEN/CONFLICT/NOT_FOUND: no longer our build; PAYLOAD_TOO_LARGE/BAD_USER_INPUT: it will never be stored
    }
  }

  function stream(level: LogLevel): Writable & { finished: Promise<void> } {
    const lines = new TerminalLines((line) => enqueue(level, line));
    let markFinished!: () => void;
    const finished = new Promise<void>((resolve) => (markFinished = resolve));
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.write(chunk);
        if (stopped || queue.length <= maxBufferedLines) callback();
        else waitingWriters.push(() => callback());
      },
      final(callback) {
        lines.end();
        callback();
      },
    });
    writable.on('finish', markFinished);
    writable.on('close', markFinished);
    return Object.assign(writable, { finished });
  }

  const stdout = stream('INFO');
  const stderr = stream('WARN');

  return {
    stdout,
    stderr,
    append(level, message) {
      for (const line of message.split(/\r?\n/)) enqueue(level, line);
    },
    lastLines: (n) => (n <= 0 ? [] : lastLines.slice(-n)),
    bufferedLineCount: () => queue.length,
    retryNow() {
      if (retryAttempt === 0) return;
      retryAttempt = 0;
      if (!flushTimer) return; // in flight: a failure waits the shortest backoff
      clearTimeout(flushTimer);
      flushTimer = undefined;
      void sendBatch();
    },
    async close() {
      for (const writable of [stdout, stderr]) if (!writable.writableEnded) writable.end();
      await Promise.all([stdout.finished, stderr.finished]);
      closing = true;
      if (flushTimer && !inFlight && retryAttempt === 0) {
        clearTimeout(flushTimer);
        flushTimer = undefined;
      }
      const done = new Promise<void>((resolve) => closeWaiters.push(resolve));
      settle();
      schedule();
      await done;
      if (flushTimer) clearTimeout(flushTimer);
    },
  };
}
