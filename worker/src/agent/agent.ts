import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import { ApiError, backoffMs, ConnectionError, isTransient, socketClient } from '../client/api.ts';
import { ExitCode } from '../cli/exitCodes.ts';
import { AGENT_VERSION } from '../version.ts';
import { secretValuesFromEnvironment } from './buildLog.ts';
import { BuildRun, CLAIMED_BUILD_FIELDS, type ClaimedBuild } from './buildRunner.ts';
import { collectDiagnostics, type Diagnostics } from './diagnostics.ts';
import { startHealthServer, type HealthReport } from './healthServer.ts';
import { ShutOutError, WorkerSession } from './session.ts';

/** `free-agent worker`'s settings, resolved from flags, environment and config file (commands/worker.ts). */
export interface AgentOptions {
  serverUrl: string;
  /** The WORKER enrolment key. */
  key: string;
  name: string;
  platforms: ('IOS' | 'ANDROID')[];
  /** Labels given by the user; detected ones are added unless the user set the same key. */
  labels: string[];
  command: string;
  concurrency: number;
  workDir: string;
  stateFile: string;
  keepWorkDir: boolean;
  once: boolean;
  /** Exit after this long without a build (ms); undefined: never. */
  idleTimeoutMs: number | undefined;
  cancelGraceMs: number;
  shutdownGraceMs: number;
  /** The fallback claim timer's mean period (ms); each wait is jittered ±50 %. */
  pollIntervalMs: number;
  healthPort: number | undefined;
  healthHost: string;
  diagnosticsIntervalMs: number;
  /** More environment variables whose values are redacted from logs. */
  redactEnv: string[];
  /** Bound on the bytes a source archive may unpack to (archive bombs stop there). */
  maxUnpackedBytes: number;
}

/** After the builds were stopped, how long the agent waits for them to wind down before it exits anyway (ms). */
const WIND_DOWN_MS = 15_000;
/** Bound on the final unregisterWorker while the server is unreachable (ms). */
const UNREGISTER_MS = 10_000;
/** Bound on closing the socket at exit (ms). */
const DISPOSE_MS = 2_000;
/** After a claim failed for a transient reason, when the agent looks for a build it may have got anyway (ms). */
const LOST_CLAIM_CHECK_MS = 1_000;
/** Attempts this agent started, remembered so a stale read never has it start one again. */
const STARTED_KEPT = 1_000;

/**
 * The agent: registers, claims builds when woken by `jobAvailable` (and on a jittered timer, and
 * after every (re)connection), runs up to `concurrency` at once, obeys `workerEvents` (cancel,
 * drain, revoke) and signals, and hands back what it runs when it stops. Resolves with the
 * process's exit code (cli/exitCodes.ts): 0 after a clean stop, 6 when shut out (revoked, or the
 * key refused). docs/worker.md describes the behaviour for operators.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #runs = new Map<string, BuildRun>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #session!: WorkerSession;
  #socket: Client | undefined;
  #connected = false;
  #draining = false;
  #stopping: 'graceful' | 'now' | undefined;
  #revoked = false;
  #registered = false;
  #claimed = 0;
  /** The attempts this agent started (attemptKey), oldest first (at most STARTED_KEPT). */
  readonly #started = new Set<string>();
  #claiming = false;
  #claimAgain = false;
  #lastBusyAt = Date.now();
  #exitCode: number = ExitCode.ok;
  #finish!: (code: number) => void;
  readonly #done = new Promise<number>((resolve) => (this.#finish = resolve));

  constructor(options: AgentOptions) {
    this.#options = options;
  }

  /** Runs until stopped; resolves with the exit code. Throws nothing: failures are printed and become the code. */
  async run(): Promise<number> {
    const options = this.#options;
    print(
      `free-agent worker ${AGENT_VERSION} starting: ${options.name}, ${options.platforms.join(', ')}, concurrency ${options.concurrency}`,
    );
    this.#listenForSignals();
    await mkdir(options.workDir, { recursive: true });
    const diagnostics = await collectDiagnostics({ workDir: options.workDir, platforms: options.platforms, agentVersion: AGENT_VERSION });
    const labels = withDetectedLabels(options.labels, diagnostics.labels);
    this.#session = new WorkerSession(
      options.serverUrl,
      options.key,
      options.stateFile,
      {
        name: options.name,
        platforms: options.platforms,
        labels,
        maxConcurrentBuilds: options.concurrency,
        capabilities: diagnostics.system,
      },
      (workerId) => print(`registered as worker ${workerId} (${options.name}) with labels ${labels.join(', ') || '(none)'}`),
    );
    if (!(await this.#registerUntilDone())) return this.#done;
    await this.#handBackOrphans();
    void this.#reportDiagnostics(diagnostics);
    await this.#startHealthServer();
    this.#connect();
    this.#everyJittered(options.pollIntervalMs, () => this.#wake());
    this.#every(
      () => Math.min(this.#session.tokenLifeMs / 6, 30_000),
      () => this.#idleHeartbeat(),
    );
    this.#every(
      () => options.diagnosticsIntervalMs,
      async () => this.#reportDiagnostics(await this.#collect()),
    );
    if (options.idleTimeoutMs !== undefined)
      this.#every(
        () => 1000,
        () => this.#checkIdle(),
      );
    this.#wake();
    return this.#done;
  }

  /** Registers, retrying while the server is unreachable; false when it was shut out or stopped meanwhile. */
  async #registerUntilDone(): Promise<boolean> {
    for (let attempt = 0; !this.#stopping; attempt++) {
      try {
        await this.#session.register();
        this.#registered = true;
        return true;
      } catch (error) {
        if (error instanceof ShutOutError || (error instanceof ApiError && error.code === 'BAD_USER_INPUT')) {
          print(error.message);
          this.#exit(error instanceof ShutOutError ? ExitCode.auth : ExitCode.usage, 'not registered');
          return false;
        }
        print(`cannot register yet: ${(error as Error).message}; retrying`);
        await sleep(Math.max(500, backoffMs(attempt)));
      }
    }
    return false; // stopped meanwhile: #close() ends the run
  }

  /**
   * Builds the server still assigns to this worker id were left by an earlier run of this agent
   * that died: nothing here runs them, so they are failed as retryable at once instead of waiting
   * for the heartbeat timeout.
   */
  async #handBackOrphans(): Promise<void> {
    try {
      const { me } = await this.#session.api.request<{ me: { worker: { currentBuilds: { id: string }[] } | null } }>(
        `{ me { worker { currentBuilds { id } } } }`,
      );
      for (const { id } of me.worker?.currentBuilds ?? []) {
        await this.#session.api.request(
          `mutation ($id: ID!, $message: String!) { failBuild(buildId: $id, message: $message, retryable: true) { id } }`,
          {
            id,
            message: 'The agent restarted while running this build',
          },
        );
        print(`build ${id} handed back: an earlier run of this agent left it`);
      }
    } catch (error) {
      print(`could not check for builds left by an earlier run: ${(error as Error).message}`);
    }
  }

  #collect(): Promise<Diagnostics> {
    return collectDiagnostics({ workDir: this.#options.workDir, platforms: this.#options.platforms, agentVersion: AGENT_VERSION });
  }

  async #reportDiagnostics(diagnostics: Diagnostics): Promise<void> {
    try {
      await this.#session.api.request(`mutation ($input: ReportDiagnosticsInput!) { reportDiagnostics(input: $input) { id } }`, {
        input: { checks: diagnostics.checks, system: diagnostics.system },
      });
      const problems = diagnostics.checks.filter((check) => check.status !== 'OK');
      print(
        `diagnostics reported: ${problems.length === 0 ? 'all OK' : problems.map((check) => `${check.name} ${check.status}`).join(', ')}`,
      );
    } catch (error) {
      this.#onRequestError(error, 'reporting diagnostics');
    }
  }

  async #startHealthServer(): Promise<void> {
    if (this.#options.healthPort === undefined) return;
    try {
      const health = await startHealthServer(this.#options.healthHost, this.#options.healthPort, () => this.#health());
      print(`health endpoint on ${health.url}`);
      void this.#done.then(() => health.close());
    } catch (error) {
      print(`cannot serve the health endpoint on ${this.#options.healthHost}:${this.#options.healthPort}: ${(error as Error).message}`);
    }
  }

  #health(): HealthReport {
    const builds = [...this.#runs.keys()];
    const status = !this.#connected
      ? 'connecting'
      : this.#stopping
        ? 'stopping'
        : this.#draining
          ? 'draining'
          : builds.length > 0
            ? 'building'
            : 'idle';
    return { status, connected: this.#connected, workerId: this.#registered ? this.#session.workerId : null, builds };
  }

  /**
   * The socket: `jobAvailable` wakes the claim loop, `workerEvents` carries cancel/drain/resume/revoke.
   * graphql-ws reconnects with backoff and jitter and re-subscribes; a subscription the server ends
   * with an error (a token replaced meanwhile) is made again after a backoff.
   */
  #connect(): void {
    this.#socket = socketClient(this.#options.serverUrl, () => this.#session.token, {
      onConnected: () => {
        this.#connected = true;
        print(`connected to ${this.#options.serverUrl}`);
        for (const run of this.#runs.values()) run.serverBack();
        this.#wake();
        void this.#syncStatus();
      },
      onClosed: (code) => {
        if (this.#connected) print(`disconnected (${code ?? 'network error'}); reconnecting`);
        this.#connected = false;
      },
    });
    this.#subscribe('subscription { jobAvailable { buildId } }', () => this.#wake());
    this.#subscribe('subscription { workerEvents { kind buildId } }', (data) => {
      const event = (data as { workerEvents: { kind: string; buildId: string | null } }).workerEvents;
      this.#onWorkerEvent(event.kind, event.buildId);
    });
  }

  #subscribe(query: string, onData: (data: unknown) => void, attempt = 0): void {
    if (this.#stopping === 'now' || !this.#socket) return;
    let received = false;
    const again = () => {
      if (this.#socket)
        setTimeout(() => this.#subscribe(query, onData, received ? 0 : attempt + 1), Math.max(250, backoffMs(attempt))).unref();
    };
    this.#socket.subscribe(
      { query },
      {
        next: (result) => {
          received = true;
          if (result.data) onData(result.data);
        },
        error: again,
        complete: again,
      },
    );
  }

  #onWorkerEvent(kind: string, buildId: string | null): void {
    if (kind === 'CANCEL_BUILD' && buildId) {
      const run = this.#runs.get(buildId);
      if (run) print(`build ${buildId}: cancel requested`);
      run?.cancel();
    } else if (kind === 'DRAIN' && !this.#draining) {
      this.#draining = true;
      print('draining: taking no new builds');
    } else if (kind === 'RESUME' && this.#draining) {
      this.#draining = false;
      print('resumed: taking builds again');
      this.#wake();
    } else if (kind === 'REVOKE') {
      this.#onRevoked('the worker was revoked');
    }
  }

  #onRevoked(reason: string): void {
    if (this.#revoked) return;
    this.#revoked = true;
    print(`${reason}: cancelling builds and exiting`);
    this.#exitCode = ExitCode.auth;
    for (const run of this.#runs.values()) run.cancel();
    this.#stop('now');
  }

  /** Claims while there is room; one loop at a time, run again when woken meanwhile. */
  #wake(): void {
    if (this.#claiming) {
      this.#claimAgain = true;
      return;
    }
    this.#claiming = true;
    void (async () => {
      do {
        this.#claimAgain = false;
        while (this.#mayClaim()) {
          const build = await this.#claim();
          if (!build) break;
          this.#start(build);
        }
      } while (this.#claimAgain && this.#mayClaim());
      this.#claiming = false;
    })();
  }

  #mayClaim(): boolean {
    return !this.#stopping && !this.#draining && this.#runs.size < this.#options.concurrency && !(this.#options.once && this.#claimed > 0);
  }

  async #claim(): Promise<ClaimedBuild | null> {
    try {
      const { claimBuild } = await this.#session.api.request<{ claimBuild: ClaimedBuild | null }>(
        `mutation { claimBuild { ${CLAIMED_BUILD_FIELDS} } }`,
      );
      return claimBuild;
    } catch (error) {
      this.#onRequestError(error, 'claiming');
      // The server may have assigned a build and lost only the answer: look for it soon.
      if (isTransient(error)) this.#after(LOST_CLAIM_CHECK_MS, () => this.#syncStatus());
      return null;
    }
  }

  #start(build: ClaimedBuild): void {
    const key = attemptKey(build);
    if (this.#started.has(key)) return;
    this.#started.add(key);
    if (this.#started.size > STARTED_KEPT) this.#started.delete(this.#started.values().next().value!);
    this.#claimed++;
    this.#lastBusyAt = Date.now();
    print(`claimed build ${build.id} (attempt ${build.attempt})`);
    const run = new BuildRun(build, {
      session: this.#session,
      command: this.#options.command,
      workDir: this.#options.workDir,
      keepWorkDir: this.#options.keepWorkDir,
      cancelGraceMs: this.#options.cancelGraceMs,
      maxUnpackedBytes: this.#options.maxUnpackedBytes,
      secrets: [
        this.#options.key,
        ...secretValuesFromEnvironment(process.env),
        ...this.#options.redactEnv.map((name) => process.env[name] ?? ''),
      ],
      baseEnv: buildEnvironment(process.env),
      print,
    });
    this.#runs.set(build.id, run);
    void run.run().then((outcome) => {
      this.#runs.delete(build.id);
      this.#lastBusyAt = Date.now();
      if (outcome === 'cancelled' || outcome === 'handed back' || outcome === 'lost') print(`build ${build.id} ${outcome}`);
      if (this.#options.once && !this.#stopping) this.#stop('graceful', 'ran one build (--once)');
      if (this.#stopping) this.#finishWhenIdle();
      else this.#wake();
    });
  }

  /** Beats for the worker itself: it stays ONLINE while idle, and its token is renewed. */
  async #idleHeartbeat(): Promise<void> {
    try {
      const { heartbeat } = await this.#session.api.request<{ heartbeat: { accessToken: string | null; expiresAt: string | null } }>(
        `mutation { heartbeat { accessToken expiresAt } }`,
      );
      if (heartbeat.accessToken && heartbeat.expiresAt) await this.#session.acceptToken(heartbeat.accessToken, heartbeat.expiresAt);
    } catch (error) {
      this.#onRequestError(error, 'heartbeat');
    }
    await this.#syncStatus();
  }

  /**
   * Reads the worker's status and current builds, after every (re)connection, with every idle
   * heartbeat and soon after a claim failed for a transient reason. Events are only heard while
   * subscribed: a DRAIN or RESUME sent while the socket was away (or before its subscription was
   * in place) is caught up from the status. An ASSIGNED build this agent never started is a claim
   * whose answer was lost (the server committed it, the connection broke before the answer came):
   * it is run now, not left assigned to a worker that does not know it until its heartbeat timeout.
   */
  async #syncStatus(): Promise<void> {
    try {
      const { me } = await this.#session.api.request<{
        me: { worker: { status: string; currentBuilds: (ClaimedBuild & { status: string })[] } | null };
      }>(`{ me { worker { status currentBuilds { status ${CLAIMED_BUILD_FIELDS} } } } }`);
      const draining = me.worker?.status === 'DRAINING';
      if (draining !== this.#draining) this.#onWorkerEvent(draining ? 'DRAIN' : 'RESUME', null);
      // A claim still in flight may be answered with one of them: none is lost until it is.
      if (this.#claiming) return;
      for (const build of me.worker?.currentBuilds ?? []) {
        if (build.status !== 'ASSIGNED' || this.#started.has(attemptKey(build)) || !this.#mayClaim()) continue;
        print(`build ${build.id} was assigned to this worker by a claim whose answer was lost: running it`);
        this.#start(build);
      }
    } catch (error) {
      this.#onRequestError(error, 'reading its status');
    }
  }

  #onRequestError(error: unknown, what: string): void {
    if (error instanceof ShutOutError) return this.#onRevoked(error.message);
    if (!(error instanceof ConnectionError))
      print(`${what} failed: ${(error as Error).message}${error instanceof ApiError ? ` (${error.code})` : ''}`);
  }

  #checkIdle(): void {
    const idleMs = Date.now() - this.#lastBusyAt;
    if (this.#runs.size === 0 && idleMs >= this.#options.idleTimeoutMs! && !this.#stopping)
      this.#stop('graceful', `idle for ${Math.round(idleMs / 1000)} s (--idle-timeout)`);
  }

  #listenForSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (!this.#stopping) this.#stop('graceful', `${signal}`);
        else this.#stop('now', `${signal} again`);
      });
    }
  }

  /**
   * Stops taking builds. Graceful: running builds may finish within the shutdown grace, then are
   * handed back. Now: they are stopped (process groups ended) and handed back at once.
   */
  #stop(how: 'graceful' | 'now', reason?: string): void {
    if (this.#stopping === 'now' || this.#stopping === how) return;
    this.#stopping = how;
    if (how === 'graceful') {
      const running = this.#runs.size;
      print(
        `stopping (${reason}): ${running === 0 ? 'no builds running' : `${running} running build(s) may finish within ${this.#options.shutdownGraceMs / 1000} s`}`,
      );
      this.#after(this.#options.shutdownGraceMs, () => this.#stop('now', 'shutdown grace over'));
    } else {
      if (reason) print(`stopping now (${reason}): handing back ${this.#runs.size} build(s)`);
      for (const run of this.#runs.values()) if (!this.#revoked) run.handBack();
      this.#after(WIND_DOWN_MS, () => void this.#close());
    }
    this.#finishWhenIdle();
  }

  #finishWhenIdle(): void {
    if (this.#runs.size === 0) void this.#close();
  }

  /** Hands back what is left (unless revoked), closes the socket, and ends run() with the exit code. */
  #closing = false;
  async #close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const timer of this.#timers) clearTimeout(timer);
    if (!this.#revoked && this.#registered) {
      const unregistered = await Promise.race([
        this.#session.api.request(`mutation { unregisterWorker }`).then(
          () => true,
          (error: Error) => (print(`could not unregister: ${error.message}`), false),
        ),
        sleep(UNREGISTER_MS).then(() => false),
      ]);
      if (unregistered) print('unregistered: the server gives anything left to other workers');
    }
    const socket = this.#socket;
    this.#socket = undefined;
    // dispose() awaits the pending connection attempt (maybe a reconnect backoff away), which rejects
    // with its CloseEvent when the server refused it (4403 once revoked) or is gone: the agent does not wait for it.
    await Promise.race([Promise.resolve(socket?.dispose()).catch(() => undefined), sleep(DISPOSE_MS)]);
    this.#exit(this.#exitCode, this.#revoked ? 'revoked' : 'stopped');
  }

  #exit(code: number, reason: string): void {
    print(`exited (${reason})`);
    this.#finish(code);
  }

  /** Runs `task` once after `ms` ms, unless the agent closes first. */
  #after(ms: number, task: () => unknown): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, ms);
    this.#timers.add(timer);
  }

  /** Runs `task` every `periodMs()` ms (asked again each time: the token's life may change), until the agent closes. */
  #every(periodMs: () => number, task: () => unknown): void {
    const next = () =>
      this.#after(Math.max(100, periodMs()), async () => {
        await task();
        if (!this.#closing) next();
      });
    next();
  }

  /** Runs `task` after waits of meanMs ± 50 %, so a fleet's fallback claims do not arrive together. */
  #everyJittered(meanMs: number, task: () => void): void {
    this.#every(() => meanMs * (0.5 + Math.random()), task);
  }
}

/** How #started names an attempt: `<build id>#<attempt>`. */
function attemptKey(build: Pick<ClaimedBuild, 'id' | 'attempt'>): string {
  return `${build.id}#${build.attempt}`;
}

/** A line of the agent's own output: ISO time and message. */
function print(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The user's labels, and detected ones whose key the user did not set (`--labels xcode=16.1` wins over detection). */
export function withDetectedLabels(given: string[], detected: string[]): string[] {
  const keyOf = (label: string) => label.split('=')[0]!.trim().toLowerCase();
  const givenKeys = new Set(given.map(keyOf));
  return [...given, ...detected.filter((label) => !givenKeys.has(keyOf(label)))];
}

/** The environment a build inherits: the agent's, without its enrolment key. */
function buildEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { FREE_AGENT_KEY: _key, ...rest } = env;
  return rest;
}
