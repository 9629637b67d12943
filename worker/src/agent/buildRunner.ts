import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { ApiError, backoffMs, ConnectionError, type GraphqlClient, isTransient } from '../client/api.ts';
import { downloadFile, sha256OfFile, TransferError, uploadArtifact } from '../client/artifacts.ts';
import { ArchiveError, unpackArchive } from './archive.ts';
import { createBuildLog, type BuildLog } from './buildLog.ts';
import { spawnInGroup, type ExitStatus, type GroupProcess } from './processGroup.ts';
import type { WorkerSession } from './session.ts';

/** The fields of a claimed build the agent works with (CLAIMED_BUILD_FIELDS). */
export interface ClaimedBuild {
  id: string;
  attempt: number;
  platform: 'IOS' | 'ANDROID';
  metadata: Record<string, unknown>;
  sourceUrl: string;
  sourceSha256: string;
  certsUrl: string | null;
  heartbeatTimeoutSeconds: number;
}

/** The selection of claimBuild's answer that makes a ClaimedBuild. */
export const CLAIMED_BUILD_FIELDS = 'id attempt platform metadata sourceUrl sourceSha256 certsUrl heartbeatTimeoutSeconds';

/** How a run ended, from the agent's side. */
export type BuildOutcome = 'completed' | 'failed' | 'cancelled' | 'handed back' | 'lost';

export interface BuildRunSettings {
  session: WorkerSession;
  /** The build command, run by /bin/sh -c in the unpacked source. */
  command: string;
  /** Where build directories are made. */
  workDir: string;
  keepWorkDir: boolean;
  /** SIGTERM → SIGKILL delay for the build's process group (ms). */
  cancelGraceMs: number;
  /** Bound on the bytes the source may unpack to. */
  maxUnpackedBytes: number;
  /** Values redacted from the log. */
  secrets: string[];
  /** The environment the build command inherits (the agent's, without its key). */
  baseEnv: NodeJS.ProcessEnv;
  /** The agent's own output. */
  print(message: string): void;
}

/** Lines of the log's tail quoted in a failure message. */
const FAILURE_TAIL_LINES = 20;
/** failBuild's message bound (server: 10,000 characters). */
const MAX_FAILURE_MESSAGE = 10_000;
/** How long a finished build's report is retried while the server is unreachable (ms). */
const REPORT_RETRY_MS = 15 * 60_000;
/** Progress markers closer together than this share one heartbeat (ms). */
const PROGRESS_BEAT_MS = 1000;

// Every call about the build names its attempt: a run of an attempt that is over (the build was
// taken back and claimed again, maybe by this very worker) is refused instead of acting on the new one.
const HEARTBEAT = `mutation ($buildId: ID, $attempt: Int, $progress: Int) {
  heartbeat(buildId: $buildId, attempt: $attempt, progress: $progress) { cancelRequested accessToken expiresAt } }`;

/** A build failed before or while its command ran; the message is the failure's first line. */
class BuildFailure extends Error {
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/**
 * One claimed build on this machine: heartbeats (which start it and keep its token fresh), its
 * inputs downloaded, checked and unpacked into a fresh directory, the build command in its own
 * process group with its log streamed, and the outcome reported (result uploaded and
 * completeBuild, or failBuild). `cancel()` and `handBack()` stop it from outside.
 */
export class BuildRun {
  readonly #settings: BuildRunSettings;
  readonly #api: GraphqlClient;
  readonly #dir: string;
  readonly #log: BuildLog;
  #process: GroupProcess | undefined;
  #stopReason: 'cancelled' | 'handed back' | 'lost' | undefined;
  #progress: number | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lastBeatAt = 0;
  #finished = false;
  /** Ends the wait of a report between two tries (set while it waits). */
  #wakeReportRetry: (() => void) | undefined;

  constructor(
    readonly build: ClaimedBuild,
    settings: BuildRunSettings,
  ) {
    this.#settings = settings;
    this.#api = settings.session.api;
    this.#dir = path.join(settings.workDir, 'builds', `${build.id}-${build.attempt}`);
    this.#log = createBuildLog({
      secrets: settings.secrets,
      send: async (firstSeq, lines) =>
        (
          await this.#api.request<{ appendBuildLogs: { nextSeq: number; accepted: number; truncated: boolean } }>(
            `mutation ($buildId: ID!, $attempt: Int, $firstSeq: Int!, $lines: [BuildLogInput!]!) {
              appendBuildLogs(buildId: $buildId, attempt: $attempt, firstSeq: $firstSeq, lines: $lines) { nextSeq accepted truncated } }`,
            { buildId: build.id, attempt: build.attempt, firstSeq, lines },
          )
        ).appendBuildLogs,
      onProgress: (percent) => {
        this.#progress = percent;
        if (Date.now() - this.#lastBeatAt >= PROGRESS_BEAT_MS) void this.#beat();
      },
    });
  }

  /** Runs the build to its end and reports it; resolves with the outcome, never rejects. */
  async run(): Promise<BuildOutcome> {
    await this.#beat();
    const outcome = await this.#runAndReport();
    this.#finished = true;
    clearTimeout(this.#heartbeatTimer);
    if (!this.#settings.keepWorkDir) await rm(this.#dir, { recursive: true, force: true }).catch(() => undefined);
    return outcome;
  }

  /**
   * The socket reconnected, so the server is back: the log's waiting batch and a report waiting
   * out its backoff go now rather than seconds later.
   */
  serverBack(): void {
    this.#log.retryNow();
    this.#wakeReportRetry?.();
  }

  /** The build was cancelled on the server (or timed out): its process group is ended. */
  cancel(): void {
    this.#stop('cancelled');
  }

  /** The agent is shutting down: the build is stopped and left for unregisterWorker to hand back. */
  handBack(): void {
    this.#stop('handed back');
  }

  #stop(reason: 'cancelled' | 'handed back' | 'lost'): void {
    if (this.#stopReason || this.#finished) return;
    this.#stopReason = reason;
    void this.#process?.terminate(this.#settings.cancelGraceMs);
  }

  async #runAndReport(): Promise<BuildOutcome> {
    let failure: BuildFailure | undefined;
    let result: string | undefined;
    try {
      const sourceDir = await this.#prepare();
      result = await this.#execute(sourceDir);
    } catch (error) {
      failure =
        error instanceof BuildFailure ? error : new BuildFailure(`The agent could not run the build: ${(error as Error).message}`, true);
      if (!this.#stopReason) this.#log.append('ERROR', `free-agent: ${failure.message}`);
    }
    await this.#log.close();
    if (this.#stopReason) return this.#stopReason;
    try {
      if (failure || !result) {
        const message = failure?.message ?? 'The build ended without a result';
        await this.#report(() => this.#fail(message, failure?.retryable ?? false));
        this.#settings.print(`build ${this.build.id} failed: ${message}`);
        return 'failed';
      }
      const resultSha256 = await sha256OfFile(result);
      await this.#report(() => this.#complete(result, resultSha256));
      this.#settings.print(`build ${this.build.id} completed`);
      return 'completed';
    } catch (error) {
      this.#settings.print(`build ${this.build.id} could not be reported: ${(error as Error).message}`);
      return 'lost';
    }
  }

  /** A fresh build directory with the source unpacked (and the certificates beside it); returns the source directory. */
  async #prepare(): Promise<string> {
    await rm(this.#dir, { recursive: true, force: true });
    const sourceDir = path.join(this.#dir, 'source');
    await mkdir(sourceDir, { recursive: true, mode: 0o700 });
    const archive = path.join(this.#dir, 'source.archive');
    this.#log.append('DEBUG', `free-agent: downloading the source (sha256 ${this.build.sourceSha256})`);
    await this.#download(this.build.sourceUrl, archive, this.build.sourceSha256);
    this.#throwIfStopped();
    try {
      const unpacked = await unpackArchive(archive, sourceDir, { maxBytes: this.#settings.maxUnpackedBytes });
      this.#log.append('DEBUG', `free-agent: unpacked ${unpacked.entries} entries (${unpacked.bytes} bytes)`);
    } catch (error) {
      if (error instanceof ArchiveError) throw new BuildFailure(`The source archive was refused: ${error.message}`);
      throw error;
    } finally {
      await rm(archive, { force: true });
    }
    if (this.build.certsUrl) {
      await mkdir(path.join(this.#dir, 'certs'), { mode: 0o700 });
      await this.#download(this.build.certsUrl, this.#certsPath());
    }
    this.#throwIfStopped();
    return sourceDir;
  }

  #certsPath(): string {
    return path.join(this.#dir, 'certs', 'certs');
  }

  #resultPath(): string {
    return path.join(this.#dir, 'result', `${this.build.id}.${this.build.platform === 'IOS' ? 'ipa' : 'apk'}`);
  }

  /** Downloads with a few retries; a checksum mismatch every time fails the build as retryable. */
  async #download(url: string, file: string, expectedSha256?: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await downloadFile(url, file, { expectedSha256 });
        return;
      } catch (error) {
        const retryable = error instanceof ConnectionError || (error instanceof TransferError && error.code === 'CHECKSUM_MISMATCH');
        if (!retryable || attempt >= 3) throw new BuildFailure(`Downloading the build's input failed: ${(error as Error).message}`, true);
        await sleep(Math.max(200, backoffMs(attempt)));
      }
    }
  }

  #throwIfStopped(): void {
    if (this.#stopReason) throw new BuildFailure(`The build was ${this.#stopReason}`);
  }

  /** Runs the command; resolves with the result's path, or throws BuildFailure saying why not. */
  async #execute(sourceDir: string): Promise<string> {
    const result = this.#resultPath();
    await mkdir(path.dirname(result), { recursive: true });
    this.#log.append('DEBUG', `free-agent: running ${this.#settings.command}`);
    const group = spawnInGroup(this.#settings.command, { cwd: sourceDir, env: this.#environment(sourceDir, result) });
    this.#process = group;
    if (this.#stopReason) void group.terminate(this.#settings.cancelGraceMs);
    const logged = Promise.all([pipeline(group.child.stdout!, this.#log.stdout), pipeline(group.child.stderr!, this.#log.stderr)]);
    const status = await group.exited;
    // Whatever the command left running goes with it: a build leaves nothing behind.
    await group.terminate(this.#settings.cancelGraceMs);
    await logged.catch(() => undefined);
    if (this.#stopReason) throw new BuildFailure(`The build was ${this.#stopReason}`);
    if (status.code !== 0) throw new BuildFailure(exitReason(status));
    const size = await stat(result).then(
      (found) => (found.isFile() ? found.size : undefined),
      () => undefined,
    );
    if (size === undefined) throw new BuildFailure('The build command exited 0 but wrote no result at FREE_AGENT_RESULT');
    return result;
  }

  /** The command's environment: the agent's, and the build's inputs (docs/worker.md). */
  #environment(sourceDir: string, result: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...this.#settings.baseEnv,
      FREE_AGENT_BUILD_ID: this.build.id,
      FREE_AGENT_PLATFORM: this.build.platform,
      FREE_AGENT_ATTEMPT: String(this.build.attempt),
      FREE_AGENT_SOURCE_DIR: sourceDir,
      FREE_AGENT_RESULT: result,
    };
    if (this.build.certsUrl) env.FREE_AGENT_CERTS = this.#certsPath();
    for (const [key, value] of Object.entries(this.build.metadata ?? {})) {
      env[`FREE_AGENT_META_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return env;
  }

  /** Uploads the result (hashed by the caller, once for every repeat) and completes the build with it. */
  async #complete(result: string, sha256: string): Promise<void> {
    const upload = await uploadArtifact(
      this.#api,
      { kind: 'RESULT', buildId: this.build.id, filename: path.basename(result) },
      result,
      sha256,
    );
    await this.#api.request(
      `mutation ($buildId: ID!, $attempt: Int, $resultUploadId: ID!) {
        completeBuild(buildId: $buildId, attempt: $attempt, resultUploadId: $resultUploadId) { id } }`,
      {
        buildId: this.build.id,
        attempt: this.build.attempt,
        resultUploadId: upload.id,
      },
    );
  }

  async #fail(reason: string, retryable: boolean): Promise<void> {
    const tail = plainText(this.#log.lastLines(FAILURE_TAIL_LINES).join('\n'));
    const message = tail ? `${reason}\n\nLast lines of the log:\n${tail}` : reason;
    await this.#api.request(
      `mutation ($buildId: ID!, $attempt: Int, $message: String!, $retryable: Boolean) {
        failBuild(buildId: $buildId, attempt: $attempt, message: $message, retryable: $retryable) { id } }`,
      {
        buildId: this.build.id,
        attempt: this.build.attempt,
        message: message.length > MAX_FAILURE_MESSAGE ? `${message.slice(0, MAX_FAILURE_MESSAGE - 1)}…` : message,
        retryable,
      },
    );
  }

  /**
   * Repeats a report while the server is unreachable or unavailable (heartbeats keep the build
   * ours meanwhile), up to REPORT_RETRY_MS; throws what the server refused it with.
   */
  async #report(send: () => Promise<void>): Promise<void> {
    const until = Date.now() + REPORT_RETRY_MS;
    let attempt = 0;
    for (;;) {
      try {
        return await send();
      } catch (error) {
        const retryable = isTransient(error) || error instanceof TransferError;
        if (!retryable || Date.now() > until || this.#stopReason) throw error;
        const serverBack = await this.#waitBeforeRetry(Math.max(200, backoffMs(attempt)));
        attempt = serverBack ? 0 : attempt + 1;
      }
    }
  }

  /** Waits `ms` between two tries of a report; resolves true when serverBack() ended the wait early. */
  #waitBeforeRetry(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeReportRetry = undefined;
        resolve(false);
      }, ms);
      this.#wakeReportRetry = () => {
        clearTimeout(timer);
        this.#wakeReportRetry = undefined;
        resolve(true);
      };
    });
  }

  /**
   * One heartbeat for the build (the first starts it), then the next one scheduled: often enough
   * for the build's heartbeat timeout and for the token's rotation (its last third of life).
   */
  async #beat(): Promise<void> {
    clearTimeout(this.#heartbeatTimer);
    if (this.#finished) return;
    this.#lastBeatAt = Date.now();
    try {
      const { heartbeat } = await this.#api.request<{
        heartbeat: { cancelRequested: boolean; accessToken: string | null; expiresAt: string | null };
      }>(HEARTBEAT, { buildId: this.build.id, attempt: this.build.attempt, progress: this.#progress ?? null });
      if (heartbeat.accessToken && heartbeat.expiresAt)
        await this.#settings.session.acceptToken(heartbeat.accessToken, heartbeat.expiresAt);
      if (heartbeat.cancelRequested) this.cancel();
    } catch (error) {
      // The build is no longer ours (rescued while we were cut off, or revoked): stop working on it.
      if (error instanceof ApiError && ['FORBIDDEN', 'CONFLICT', 'NOT_FOUND'].includes(error.code)) this.#stop('lost');
    }
    if (this.#finished) return;
    const interval = Math.max(
      200,
      Math.min((this.build.heartbeatTimeoutSeconds * 1000) / 4, this.#settings.session.tokenLifeMs / 6, 30_000),
    );
    this.#heartbeatTimer = setTimeout(() => void this.#beat(), interval);
  }
}

/**
 * Log text as the failure message may hold it: without ANSI escape sequences (colours, cursor
 * moves) and with other control characters but tab and line feed as U+FFFD (the server's rule
 * for messages, server/src/queue/validate.ts).
 */
export function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}

/** "The build command exited with code 3" / "… was killed by SIGKILL". */
export function exitReason(status: ExitStatus): string {
  return status.signal ? `The build command was killed by ${status.signal}` : `The build command exited with code ${status.code}`;
}
