import WebSocket from 'ws';
import type { GraphQLError } from './graphql.ts';

/** A graphql-ws subscribe payload. */
export interface OperationPayload {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface RawMessage {
  id?: string;
  type: string;
  payload?: unknown;
}

/** What a socket answered one operation: its messages up to `complete` or `error`. */
export interface Answer {
  messages: RawMessage[];
  /** The errors of its `error` message, or of its `next` result. */
  errors: GraphQLError[];
}

/**
 * A graphql-transport-ws connection on the raw `ws` package, so a test can send any message, and
 * see every message and the close code.
 */
export class RawSocket {
  readonly closed: Promise<{ code: number; reason: string }>;
  #messages: RawMessage[] = [];
  #waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.#messages.push(JSON.parse(String(data)) as RawMessage);
      for (const waiter of [...this.#waiters]) waiter();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Connects and waits for `connection_ack`; `token` goes in connectionParams. */
  static async open(wsUrl: string, token?: string): Promise<RawSocket> {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const raw = new RawSocket(socket);
    raw.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
    await raw.#until(() => raw.#messages.some((message) => message.type === 'connection_ack'), 'connection_ack');
    return raw;
  }

  send(message: RawMessage | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends one operation and waits for its answer. */
  async run(id: string, payload: OperationPayload): Promise<Answer> {
    this.send({ id, type: 'subscribe', payload });
    return this.answer(id);
  }

  /** The messages received so far for `id`. */
  messages(id: string): RawMessage[] {
    return this.#messages.filter((message) => message.id === id);
  }

  /** The messages for `id` up to its `complete` or `error`; fails if the socket closes first. */
  async answer(id: string): Promise<Answer> {
    const mine = () => this.messages(id);
    await this.#until(() => mine().some((message) => message.type === 'complete' || message.type === 'error'), `the answer to ${id}`);
    const messages = mine();
    const last = messages.at(-1)!;
    const errors =
      last.type === 'error'
        ? (last.payload as GraphQLError[])
        : ((messages.find((message) => message.type === 'next')?.payload as { errors?: GraphQLError[] })?.errors ?? []);
    return { messages, errors };
  }

  close(): Promise<unknown> {
    this.socket.close(1000);
    return this.closed;
  }

  #until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        finish();
        resolve();
      };
      const finish = () => {
        this.#waiters.delete(check);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within 5 s; received ${JSON.stringify(this.#messages)}`));
      }, 5_000);
      void this.closed.then(({ code, reason }) => {
        if (done()) return;
        finish();
        reject(new Error(`the socket closed with ${code} ${reason} before ${what}`));
      });
      this.#waiters.add(check);
      check();
    });
  }
}
