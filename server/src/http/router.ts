import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AppServices } from '../services.ts';
import { createArtifactHandler } from './artifacts.ts';
import { createGraphqlHandler, type YogaApp } from './graphql.ts';
import { handleLiveness, handleReadiness } from './health.ts';
import type { RequestHandler } from './httpServer.ts';
import { createMetricsHandler } from './metrics.ts';
import { sendError } from './respond.ts';
import { createStaticHandler } from './staticFiles.ts';

const webDist = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface Router {
  handle: RequestHandler;
  /** The GraphQL app, which the WebSocket server serves on /graphql as well. */
  yoga: YogaApp;
}

/**
 * The route table over `services`: `/graphql`, `/healthz`, `/readyz`, `/metrics`, the signed
 * `/artifacts/…` routes, then the console's files; anything else is 404 NOT_FOUND.
 */
export function createRouter(services: AppServices): Router {
  const graphql = createGraphqlHandler(services);
  const artifacts = createArtifactHandler(services);
  const staticFiles = createStaticHandler(webDist);
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>>([
    ['/graphql', graphql.handle],
    ['/healthz', (_req, res) => handleLiveness(res, services.unrecoverable)],
    ['/readyz', (_req, res) => handleReadiness(res, services.db.reads)],
    ['/metrics', createMetricsHandler(services.db.reads)],
  ]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.get(pathname);
    if (route) return route(req, res);
    if (pathname.startsWith('/artifacts/')) return artifacts(req, res);
    if (await staticFiles(req, res, pathname)) return;
    sendError(res, 404, 'NOT_FOUND', 'No such route');
  }
  return { handle, yoga: graphql.yoga };
}
