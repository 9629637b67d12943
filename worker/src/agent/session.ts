import { ApiError, httpClient, type GraphqlClient } from '../client/api.ts';
import { readAgentState, writeAgentState } from './stateFile.ts';

/** What the agent tells the server about itself (RegisterWorkerInput without the id). */
export interface Registration {
  name: string;
  platforms: string[];
  labels: string[];
  maxConcurrentBuilds: number;
  capabilities: Record<string, unknown>;
}

/**
 * The server refused the agent for good: its enrolment key is unknown or revoked, or the worker
 * was revoked. Restarting with the same key or state cannot help.
 */
export class ShutOutError extends Error {}

const REGISTER = `mutation ($input: RegisterWorkerInput!) {
  registerWorker(input: $input) { accessToken expiresAt worker { id } }
}`;

/**
 * The agent's standing with the server: its worker id and current access token, kept in the
 * state file (0600) so a restart re-registers as the same worker. `api` calls GraphQL over HTTP
 * with the current token; when the server says the token is not valid (UNAUTHENTICATED: expired
 * while the agent was away, or replaced) it re-registers with the same id once and repeats the call.
 */
export class WorkerSession {
  #workerId: string | undefined;
  #token = '';
  #tokenLifeMs = 0;
  #registering: Promise<void> | undefined;
  readonly api: GraphqlClient;

  constructor(
    readonly serverUrl: string,
    private readonly enrolmentKey: string,
    private readonly stateFile: string,
    private readonly registration: Registration,
    private readonly onRegistered: (workerId: string) => void,
  ) {
    const tokenClient = httpClient(serverUrl, () => this.#token);
    this.api = {
      request: async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
        const tokenUsed = this.#token;
        try {
          return await tokenClient.request<T>(query, variables);
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 'UNAUTHENTICATED')) throw error;
          // Another call may have re-registered meanwhile; only a token nobody replaced yet is renewed.
          if (this.#token === tokenUsed) await this.register();
          return tokenClient.request<T>(query, variables);
        }
      },
    };
  }

  get workerId(): string {
    if (!this.#workerId) throw new Error('The agent has not registered yet');
    return this.#workerId;
  }

  /** The current access token, for the socket's connection parameters. */
  get token(): string {
    return this.#token;
  }

  /** How long a token lives on this server (ms), as the last registration showed. */
  get tokenLifeMs(): number {
    return this.#tokenLifeMs;
  }

  /**
   * Registers (again) with the enrolment key, under the worker id of the state file when there is
   * one, and saves the new token. Concurrent callers share one registration. Throws ShutOutError
   * when the key or the worker is refused (UNAUTHENTICATED, FORBIDDEN), ApiError/ConnectionError
   * otherwise.
   */
  register(): Promise<void> {
    this.#registering ??= this.#register().finally(() => (this.#registering = undefined));
    return this.#registering;
  }

  async #register(): Promise<void> {
    const saved = this.#workerId ? undefined : await readAgentState(this.stateFile, this.serverUrl);
    const workerId = this.#workerId ?? saved?.workerId;
    const enrolment = httpClient(this.serverUrl, () => this.enrolmentKey);
    let answer: { registerWorker: { accessToken: string; expiresAt: string; worker: { id: string } } };
    try {
      answer = await enrolment.request(REGISTER, { input: { ...this.registration, workerId } });
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN'))
        throw new ShutOutError(`The server refused to register this worker: ${error.message} (${error.code})`);
      throw error;
    }
    const { accessToken, expiresAt, worker } = answer.registerWorker;
    await this.acceptToken(accessToken, expiresAt, worker.id);
    this.onRegistered(worker.id);
  }

  /** Uses a token the server handed out (registration or a heartbeat near expiry) and saves it. */
  async acceptToken(accessToken: string, expiresAt: string, workerId = this.workerId): Promise<void> {
    this.#workerId = workerId;
    this.#token = accessToken;
    this.#tokenLifeMs = Math.max(1000, Date.parse(expiresAt) - Date.now());
    await writeAgentState(this.stateFile, { serverUrl: this.serverUrl, workerId, accessToken, expiresAt });
  }
}
