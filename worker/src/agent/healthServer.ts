import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `GET /health` answers: the agent's state, for launchd/systemd and monitoring checks. */
export interface HealthReport {
  status: 'connecting' | 'idle' | 'building' | 'draining' | 'stopping';
  /** Registered, and its socket to the server is up. */
  connected: boolean;
  workerId: string | null;
  /** The builds it runs now. */
  builds: string[];
}

/**
 * Serves `GET /health` on host:port (port 0: any free one): 200 with the report as JSON while
 * connected, 503 while not (so a health check fails when the agent cannot get work); 404 for
 * other paths. Resolves with the URL it listens on and a close function; rejects when it cannot
 * listen (the port is taken).
 */
export async function startHealthServer(
  host: string,
  port: number,
  report: () => HealthReport,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://agent');
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (pathname !== '/health') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try /health\n');
    const body = report();
    response.writeHead(body.connected ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : `${JSON.stringify(body)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/health`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
