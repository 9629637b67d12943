// A child process of the benchmark's sockets scenario: opens one graphql-ws socket per worker token
// it is sent (each subscribed to jobAvailable), holds them open, and closes them when told. Run
// as `node --import tsx bench/socketHolder.ts` with an IPC channel; never on its own.
import { openSocket, type Socket } from './lib/ws.ts';

type Command = { type: 'open'; wsUrl: string; tokens: string[]; concurrency: number } | { type: 'status' } | { type: 'close' };

const sockets: Socket[] = [];
let subscriptionsEnded = 0;

function send(message: object): void {
  process.send?.(message);
}

async function open(wsUrl: string, tokens: string[], concurrency: number): Promise<void> {
  const startedAt = performance.now();
  let failed = 0;
  const errors: string[] = [];
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, tokens.length) }, async () => {
    while (next < tokens.length) {
      const token = tokens[next++]!;
      const socket = openSocket(wsUrl, token);
      try {
        await socket.connected;
        socket.subscribe(
          'subscription { jobAvailable { platform buildId } }',
          () => undefined,
          () => {
            subscriptionsEnded += 1;
          },
        );
        sockets.push(socket);
      } catch (error) {
        failed += 1;
        if (errors.length < 5) errors.push((error as Error).message);
        await socket.close().catch(() => undefined);
      }
    }
  });
  await Promise.all(runners);
  send({ type: 'opened', open: sockets.length, failed, errors, seconds: (performance.now() - startedAt) / 1000 });
}

async function closeAll(): Promise<void> {
  await Promise.all(sockets.splice(0).map((socket) => socket.close().catch(() => undefined)));
  send({ type: 'closed', subscriptionsEnded });
  process.disconnect?.();
}

process.on('message', (command: Command) => {
  if (command.type === 'open') void open(command.wsUrl, command.tokens, command.concurrency);
  else if (command.type === 'status') send({ type: 'status', open: sockets.length, subscriptionsEnded });
  else void closeAll();
});
// The parent went away (crash, Ctrl-C): close everything and exit.
process.on('disconnect', () => {
  for (const socket of sockets) void socket.close().catch(() => undefined);
  setTimeout(() => process.exit(0), 500).unref();
});
