import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request a receiver got: headers (lower-case names) and the body exactly as received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  /** The parsed body (null when it was not JSON). */
  body: any;
  /** When it arrived, ms since the epoch. */
  receivedAt: number;
}

/** How to answer: a status (and body), or `hold` to never answer (the sender times out or dies). */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hold';

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Everything received so far, in arrival order. */
  requests: ReceivedRequest[];
  /** Sets how the following requests are answered (default: 204). */
  answerWith(answer: (request: ReceivedRequest, index: number) => Answer): void;
  /** Resolves with the requests once `count` have arrived that `match` (all by default); fails after `timeoutMs`. */
  waitFor(count: number, match?: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops listening and ends every connection (held ones too). */
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1 (node:http), for tests of webhook deliveries: it records every
 * request and answers as told. Close it in afterAll.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let answer: (request: ReceivedRequest, index: number) => Answer = () => ({ status: 204 });

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        // not JSON: kept raw only
      }
      const request: ReceivedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, String(value)])),
        rawBody,
        body,
        receivedAt: Date.now(),
      };
      requests.push(request);
      const reply = answer(request, requests.length - 1);
      for (const waiter of waiters) waiter();
      if (reply === 'hold') return;
      response.writeHead(reply.status, reply.headers).end(reply.body ?? '');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerWith(next) {
      answer = next;
    },
    waitFor(count, match = () => true, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = requests.filter(match);
          if (matching.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matching);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the receiver got ${requests.filter(match).length} of ${count} matching requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
