// A minimal Chrome DevTools Protocol client for a server started with --inspect: the sockets
// scenario uses it to run a full garbage collection before reading RSS, so the figure per socket
// is what the sockets hold and not garbage left by opening them.
import WebSocket from 'ws';
import type { TestServer } from '../../test/helpers/server.ts';
import { sleep } from './stats.ts';

export class Inspector {
  #nextId = 1;
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    });
  }

  /** Connects to the inspector of a server started with `--inspect=127.0.0.1:0`. */
  static async connect(server: TestServer, timeoutMs = 10_000): Promise<Inspector> {
    const deadline = performance.now() + timeoutMs;
    let url: string | undefined;
    while (!url) {
      url = server
        .logs()
        .map((line) => /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1])
        .find(Boolean);
      if (!url && performance.now() > deadline) throw new Error('the server did not print its inspector URL');
      if (!url) await sleep(50);
    }
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  call<T>(method: string, params: object = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full, compacting garbage collection in the server. */
  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
  }

  /** process.memoryUsage() of the server, in bytes. */
  async memoryUsage(): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }> {
    const answer = await this.call<{ result: { value: string } }>('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    return JSON.parse(answer.result.value);
  }

  close(): void {
    this.socket.close();
  }
}
