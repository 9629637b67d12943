import type { Logger } from 'pino';
import type { BootstrapResult } from './auth/bootstrap.ts';
import type { Config } from './config/config.ts';
import { listenHttp, localUrl, publicUrl, type HttpServer } from './http/httpServer.ts';
import { createRouter } from './http/router.ts';
import { attachWebSocketServer } from './http/websocket.ts';
import { startRescueLoop } from './queue/rescue.ts';
import { openServices, type AppServices } from './services.ts';
import { startWebhookDeliveries, type WebhookDeliveries } from './webhooks/deliveryLoop.ts';

export interface RunningApp {
  /** This server's base URL as seen from this machine (not FREE_AGENT_PUBLIC_URL). */
  url: string;
  port: number;
  admin: BootstrapResult;
  databaseUrl: string;
}

/**
 * The whole controller: the services (services.ts), the HTTP server with its routes and the
 * GraphQL sockets on the same port, the rescue loop and the webhook sender. `pnpm start`, the
 * tests and the benchmark all run it this way. `start()` throws what the first failing step threw
 * (the services it opened are closed again); `stop()` then closes the rest.
 */
export function buildApp(config: Config, log: Logger) {
  let services: AppServices | undefined;
  let http: HttpServer | undefined;
  let sockets: ReturnType<typeof attachWebSocketServer> | undefined;
  let rescue: { stop(): Promise<void> } | undefined;
  let deliveries: WebhookDeliveries | undefined;

  async function start(): Promise<RunningApp> {
    services = await openServices(config, log);
    const router = createRouter(services);
    http = await listenHttp(router.handle, config, log);
    sockets = attachWebSocketServer(http.server, router.yoga, services.bus, services.db.reads, log, config);
    // With PORT=0 the port, and so the default public URL, is known only now.
    services.signer.setPublicUrl(publicUrl(config, http.port));
    rescue = startRescueLoop(services.db.sql, services.storage, config, log);
    deliveries = startWebhookDeliveries({
      pool: services.db.sql,
      databaseUrl: services.databaseUrl,
      statementTimeoutMs: config.statementTimeoutMs,
      events: services.bus.target,
      webhooks: services.webhooks,
      settings: { timeoutSeconds: config.webhookTimeoutSeconds, retryBaseSeconds: config.webhookRetryBaseSeconds },
      log,
    });
    return { url: localUrl(config.host, http.port), port: http.port, admin: services.admin, databaseUrl: services.databaseUrl };
  }

  /**
   * Graceful: stop accepting, tell subscribers to reconnect elsewhere, let in-flight requests
   * finish, then close the event bus and the database.
   */
  async function stop(): Promise<void> {
    http?.endKeepAlive();
    await rescue?.stop();
    // Sends in flight finish (or are interrupted and due again) and are recorded while the database is open.
    await deliveries?.stop();
    await sockets?.close();
    await http?.close();
    await services?.close();
  }

  return { start, stop };
}
