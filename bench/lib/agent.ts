// A simulated worker agent that behaves as the real one should: it subscribes to jobAvailable,
// claims once per wake-up, claims again right after finishing a build, and also claims on a slow
// timer with jitter so a missed wake-up never strands a build. A build is run as a real worker's
// protocol with no real work: heartbeat (starts it), one log batch, a RESULT upload, complete.
// Its operations go over its one socket by default (only the upload's bytes are an HTTP PUT): the
// server serves them there as over HTTP, for about half the CPU. The bundled agent sends them as
// HTTP requests (docs/architecture.md, "The agent"); `operations: 'http'` does the same.
import {
  appendBuildLogs,
  type Caller,
  claimBuild,
  completeBuild,
  type Endpoint,
  heartbeat,
  overHttp,
  type Platform,
  RESULT_BYTES,
  registerWorker,
  sampleLogLines,
  uploadBytes,
} from './api.ts';
import { openSocket, type Socket } from './ws.ts';

export type ClaimTrigger = 'wake' | 'rewake' | 'timer' | 'after-finish';

export interface ClaimRecord {
  worker: number;
  trigger: ClaimTrigger;
  /** The build the wake-up named (null for a wake-up without one, or no wake-up). */
  wakeBuildId: string | null;
  /** performance.now() when the triggering wake-up arrived. */
  wokenAt: number | null;
  sentAt: number;
  answeredAt: number;
  buildId: string | null;
  error?: string;
}

export interface WakeRecord {
  worker: number;
  buildId: string | null;
  at: number;
}

export type Step = 'claim' | 'heartbeat' | 'appendBuildLogs' | 'createUpload+PUT' | 'completeBuild';

/** Everything the agents of one scenario saw, in performance.now() milliseconds. */
export class Recorder {
  claims: ClaimRecord[] = [];
  wakes: WakeRecord[] = [];
  steps: Record<Step, number[]> = { claim: [], heartbeat: [], appendBuildLogs: [], 'createUpload+PUT': [], completeBuild: [] };
  completedAt = new Map<string, number>();
  claimedAt = new Map<string, { at: number; worker: number; trigger: ClaimTrigger }>();
  errors: string[] = [];

  error(message: string): void {
    if (this.errors.length < 50) this.errors.push(message);
  }
}

export interface AgentOptions {
  index: number;
  endpoint: Endpoint;
  /** Registers workers: the worker key over HTTP. */
  registrar: Caller;
  recorder: Recorder;
  platforms?: Platform[];
  /** The slow claim timer's period: a random value in [min, max) ms each time. */
  pollMs?: [number, number];
  /** Lines in the build's one log batch. */
  logLines?: number;
  /** Where its operations go: its socket (the default) or HTTP requests with its token. */
  operations?: OperationTransport;
}

export type OperationTransport = 'socket' | 'http';

const LOG_LINES = 10;

export class BenchAgent {
  readonly index: number;
  workerId = '';
  #token = '';
  #socket: Socket | undefined;
  #state: 'idle' | 'claiming' | 'busy' | 'stopped' = 'idle';
  #stopping = false;
  #rewake: { buildId: string | null; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cycle: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;

  private constructor(private readonly options: AgentOptions) {
    this.index = options.index;
  }

  /** Registers the worker (over HTTP) without connecting yet. */
  static async register(options: AgentOptions): Promise<BenchAgent> {
    const agent = new BenchAgent(options);
    const registered = await registerWorker(options.registrar, {
      name: `bench-${options.index}`,
      platforms: options.platforms ?? ['ANDROID'],
    });
    agent.workerId = registered.workerId;
    agent.#token = registered.token;
    return agent;
  }

  /** Operations on the agent's socket (open once connect() resolved), or over HTTP with its current token. */
  get #operations(): Caller {
    if (this.options.operations === 'http') return overHttp(this.options.endpoint, this.#token);
    if (!this.#socket) throw new Error(`worker ${this.index} has no socket`);
    return this.#socket.request;
  }

  get idle(): boolean {
    return this.#state === 'idle';
  }

  /** Opens its socket and subscribes to jobAvailable; resolves once the server accepted the socket. */
  async connect(): Promise<void> {
    const socket = openSocket(this.options.endpoint.wsUrl, this.#token);
    this.#socket = socket;
    await socket.connected;
    this.#unsubscribe = socket.subscribe<{ jobAvailable: { platform: Platform; buildId: string | null } }>(
      'subscription { jobAvailable { platform buildId } }',
      (data) => this.#onWake(data.jobAvailable.buildId),
      (error) => {
        if (this.#state !== 'stopped') this.options.recorder.error(`worker ${this.index}: jobAvailable ended: ${describe(error)}`);
      },
    );
  }

  /** Starts the slow claim timer (the first tick after a random part of the period). */
  startTimer(): void {
    const [min, max] = this.options.pollMs ?? [2000, 3000];
    const schedule = (delay: number) => {
      this.#timer = setTimeout(() => {
        if (this.#stopping) return;
        if (this.#state === 'idle') this.#run('timer', null, null);
        schedule(min + Math.random() * (max - min));
      }, delay);
    };
    schedule(Math.random() * max);
  }

  /** Claims once now, as an agent does when it starts. */
  claimNow(trigger: ClaimTrigger = 'timer'): void {
    if (this.#state === 'idle' && !this.#stopping) this.#run(trigger, null, null);
  }

  /** Stops claiming, waits for the build in hand to finish, closes the socket. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#cycle;
    this.#state = 'stopped';
    this.#unsubscribe?.();
    await this.#socket?.close();
  }

  #onWake(buildId: string | null): void {
    const at = performance.now();
    this.options.recorder.wakes.push({ worker: this.index, buildId, at });
    if (this.#stopping) return;
    if (this.#state === 'idle') this.#run('wake', buildId, at);
    // A wake-up during a claim may be for a build that claim could not see yet: claim once more if it comes back empty.
    else if (this.#state === 'claiming') this.#rewake = { buildId, at };
    // Busy: it claims again as soon as it finishes anyway.
  }

  #run(trigger: ClaimTrigger, wakeBuildId: string | null, wokenAt: number | null): void {
    this.#state = 'claiming';
    this.#cycle = this.#claimLoop(trigger, wakeBuildId, wokenAt)
      .catch((error) => {
        this.options.recorder.error(`worker ${this.index}: ${(error as Error).message}`);
      })
      .finally(() => {
        this.#state = 'idle';
      });
  }

  async #claimLoop(trigger: ClaimTrigger, wakeBuildId: string | null, wokenAt: number | null): Promise<void> {
    const { recorder } = this.options;
    for (;;) {
      this.#state = 'claiming';
      this.#rewake = undefined;
      const sentAt = performance.now();
      let buildId: string | null = null;
      try {
        buildId = await claimBuild(this.#operations);
      } catch (error) {
        const answeredAt = performance.now();
        recorder.claims.push({
          worker: this.index,
          trigger,
          wakeBuildId,
          wokenAt,
          sentAt,
          answeredAt,
          buildId: null,
          error: (error as Error).message,
        });
        throw error;
      }
      const answeredAt = performance.now();
      recorder.claims.push({ worker: this.index, trigger, wakeBuildId, wokenAt, sentAt, answeredAt, buildId });
      recorder.steps.claim.push(answeredAt - sentAt);
      if (buildId) {
        recorder.claimedAt.set(buildId, { at: answeredAt, worker: this.index, trigger });
        this.#state = 'busy';
        await this.#runBuild(buildId);
        if (this.#stopping) return;
        trigger = 'after-finish';
        wakeBuildId = null;
        wokenAt = null;
        continue;
      }
      // Set by #onWake while the claim was in flight (TypeScript cannot see that, hence the cast).
      const rewake = this.#rewake as { buildId: string | null; at: number } | undefined;
      if (rewake && !this.#stopping) {
        trigger = 'rewake';
        wakeBuildId = rewake.buildId;
        wokenAt = rewake.at;
        continue;
      }
      return;
    }
  }

  async #runBuild(buildId: string): Promise<void> {
    const { recorder } = this.options;
    const timed = async <T>(step: Step, action: () => Promise<T>): Promise<T> => {
      const startedAt = performance.now();
      const result = await action();
      recorder.steps[step].push(performance.now() - startedAt);
      return result;
    };
    // Read per operation: a heartbeat may hand the worker a new token.
    const call: Caller = (query, variables) => this.#operations(query, variables);
    const beat = await timed('heartbeat', () => heartbeat(call, buildId, 10));
    if (beat.accessToken) this.#token = beat.accessToken;
    await timed('appendBuildLogs', () => appendBuildLogs(call, buildId, 1, sampleLogLines(this.options.logLines ?? LOG_LINES)));
    const resultUploadId = await timed('createUpload+PUT', () => uploadBytes(call, 'RESULT', Buffer.alloc(RESULT_BYTES, 7), buildId));
    await timed('completeBuild', () => completeBuild(call, buildId, resultUploadId));
    recorder.completedAt.set(buildId, performance.now());
  }
}

function describe(error: unknown): string {
  if (error === undefined) return 'completed';
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error && typeof error === 'object' && 'code' in error) return `closed ${(error as { code: number }).code}`;
  return String(error);
}
