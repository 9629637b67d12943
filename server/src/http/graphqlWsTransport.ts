import type { Socket } from 'node:net';
import { CloseCode, type Server as GraphqlWsServer, type WebSocket as GraphqlWsSocket } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** Above this many unsent bytes a send waits for the socket to take it, which holds back a subscription. */
const SEND_HIGH_WATER_BYTES = 64 * 1024;

/**
 * Carries graphql-ws over `ws`, as graphql-ws' own `useServer` does, with two differences:
 *
 * - Messages written in one tick leave in one packet. A query or mutation over the socket is
 *   answered with two messages, `next` and `complete`; `useServer` waits for the first to be
 *   flushed before the second goes, so each costs a system call and a wake-up on both ends. Here
 *   the raw socket is corked until the tick ends, and a send only waits for the write (holding
 *   back the subscription that sent it) once the socket has a backlog.
 * - Pings go every `pingMs`, and a peer that has not answered by the next ping is dropped.
 */
export function serveGraphqlWs<Extra extends { socket: WebSocket }>(
  wss: WebSocketServer,
  server: GraphqlWsServer<Extra>,
  extra: (socket: WebSocket) => Extra,
  pingMs: number,
  log: Logger,
): void {
  wss.on('connection', (socket, request) => {
    const raw = request.socket;
    const corkForThisTick = tickCorker(raw);
    socket.on('error', (error) => log.warn({ err: error }, 'websocket error'));

    let answeredPing = true;
    const pings = setInterval(() => {
      if (!answeredPing) return socket.terminate();
      answeredPing = false;
      socket.ping();
    }, pingMs);
    socket.on('pong', () => (answeredPing = true));

    const transport: GraphqlWsSocket = {
      protocol: socket.protocol,
      send(data) {
        if (socket.readyState !== socket.OPEN) return;
        corkForThisTick();
        if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) return socket.send(data);
        return new Promise<void>((resolve, reject) => socket.send(data, (error) => (error ? reject(error) : resolve())));
      },
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) =>
        socket.on('message', async (message) => {
          try {
            await handle(String(message));
          } catch (error) {
            // Operations answer their own failures (websocket.ts): what lands here is a fault of
            // the connection itself, e.g. a send that failed.
            log.error({ err: error }, 'graphql-ws message handling failed');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          }
        }),
    };
    const closed = server.opened(transport, extra(socket));
    socket.once('close', (code, reason) => {
      clearInterval(pings);
      void closed(code, String(reason));
    });
  });
}

/** Corks `raw` until the current tick's work (its microtasks included) is done, then sends it all at once. */
function tickCorker(raw: Socket): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    raw.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    raw.cork();
    process.nextTick(uncork);
  };
}
