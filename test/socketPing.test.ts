// The server pings every socket (FREE_AGENT_SOCKET_PING_SECONDS) and drops one whose peer has
// stopped answering, while a peer that answers stays connected.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useServer } from './helpers/flows.ts';

const PING_SECONDS = 0.4;
const { server } = useServer({ FREE_AGENT_SOCKET_PING_SECONDS: String(PING_SECONDS) });

/** A graphql-ws connection, acknowledged; `autoPong: false` makes a peer that never answers pings. */
async function connect(autoPong: boolean) {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { autoPong });
  const pings: number[] = [];
  socket.on('ping', () => pings.push(Date.now()));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${server.adminKey}` } }));
  const [message] = await new Promise<[WebSocket.RawData]>((resolve) => socket.once('message', (...args) => resolve(args as never)));
  expect(JSON.parse(String(message))).toMatchObject({ type: 'connection_ack' });
  return { socket, pings, closed };
}

describe('socket pings', () => {
  it('drops a socket that stops answering pings and keeps one that answers', async () => {
    const [silent, answering] = await Promise.all([connect(false), connect(true)]);
    const droppedAt = await silent.closed;
    // Pinged once, then dropped at the next ping for not having answered.
    expect(silent.pings.length).toBeGreaterThanOrEqual(1);
    expect(droppedAt - silent.pings[0]!).toBeGreaterThanOrEqual(PING_SECONDS * 1000 - 50);

    await new Promise((resolve) => setTimeout(resolve, PING_SECONDS * 3000));
    expect(answering.pings.length).toBeGreaterThanOrEqual(3);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    answering.socket.close();
  });
});
