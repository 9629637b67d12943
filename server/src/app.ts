import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ensureAdminKey, type BootstrapResult } from './auth/bootstrap.ts';
import type { Config } from './config/config.ts';
import { loadInstanceSecrets } from './config/instanceSecrets.ts';
import { closeDatabase, openDatabase } from './db/client.ts';
import { isConnectionLoss } from './db/connectionLoss.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embeddedPostgres.ts';
import { migrate } from './db/migrate.ts';
import { createArtifactHandler } from './http/artifacts.ts';
import { createGraphqlHandler } from './http/graphql.ts';
import { handleHealth } from './http/health.ts';
import { handleMetrics } from './http/metrics.ts';
import { requestContext } from './http/requestContext.ts';
import { sendError } from './http/respond.ts';
import { createStaticHandler } from './http/staticFiles.ts';
import { ClaimBatcher } from './queue/claimBatcher.ts';
import { GroupCommit } from './db/groupCommit.ts';
import { PendingEstimate } from './queue/pendingEstimate.ts';
import { startRescueLoop } from './queue/rescue.ts';
import { startEventBus, type EventBus } from './events/bus.ts';
import { unavailable } from './errors.ts';
import { attachWebSocketServer } from './http/websocket.ts';
import { createCertCipher } from './storage/certEncryption.ts';
import { createLocalDiskStorage } from './storage/localDiskStorage.ts';
import type { ObjectStorage } from './storage/objectStorage.ts';
import { createS3Storage } from './storage/s3Storage.ts';
import { createUrlSigner } from './storage/signedUrl.ts';
import { startWebhookDeliveries, type WebhookDeliveries } from './webhooks/deliveryLoop.ts';
import { createWebhookServices } from './webhooks/webhooks.ts';

const webDist = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** The configured artifact storage; an S3 bucket is checked to be reachable first (throws with the storage's reason). */
async function openStorage(config: Config): Promise<ObjectStorage> {
  if (config.storage.kind === 'local') return createLocalDiskStorage(path.resolve(config.dataDir, 'artifacts'));
  const s3 = createS3Storage(config.storage);
  await s3.checkBucket();
  return s3;
}

export interface RunningApp {
  url: string;
  port: number;
  admin: BootstrapResult;
  databaseUrl: string;
}

/**
 * The whole controller: database (embedded or DATABASE_URL), migrations, the HTTP server with
 * GraphQL, artifacts, health and the console, the rescue loop and the webhook sender. `pnpm start`,
 * the tests and the benchmark all run it this way.
 */
export function buildApp(config: Config, log: Logger) {
  let server: Server | undefined;
  let stopping = false;
  let embedded: EmbeddedDatabase | undefined;
  let rescue: { stop(): Promise<void> } | undefined;
  let deliveries: WebhookDeliveries | undefined;
  let bus: EventBus | undefined;
  let writes: GroupCommit | undefined;
  let sockets: ReturnType<typeof attachWebSocketServer> | undefined;

  async function start(): Promise<RunningApp> {
    if (!config.databaseUrl) embedded = await startEmbeddedPostgres(config.dataDir, log);
    const databaseUrl = config.databaseUrl ?? embedded!.url;
    // On the direct connection: the migrations' session-level advisory lock, taken through a
    // transaction-mode pooler, stays with whichever server connection took it (docs/operations.md).
    const directUrl = config.listenDatabaseUrl ?? databaseUrl;
    await migrate(directUrl, log);
    const { db, pool } = openDatabase(databaseUrl, config, log);
    const admin = await ensureAdminKey(db, {
      configuredKey: config.adminKey,
      dataDir: config.dataDir,
      writeSecretFile: !config.databaseUrl,
    });

    const secrets = await loadInstanceSecrets(config);
    const storage = await openStorage(config);
    const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
    const signer = createUrlSigner({ secret: secrets.signingSecret, keyId: 'k1', publicUrl });
    bus = await startEventBus(directUrl, db, pool, log);
    writes = new GroupCommit(pool, databaseUrl, { statementTimeoutMs: config.statementTimeoutMs, log });
    const pending = new PendingEstimate(pool, config.maxPendingBuilds);
    const webhooks = createWebhookServices(secrets.encryptionKey, config.webhookAllowedHosts);
    const services = { config, storage, signer, log, bus, claims: new ClaimBatcher(pool), writes, pending, webhooks };
    const graphql = createGraphqlHandler(services);
    const artifacts = createArtifactHandler({ storage, writes, signer, certCipher: createCertCipher(secrets.encryptionKey), log });
    const staticFiles = createStaticHandler(webDist);

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname === '/graphql') return graphql.handle(req, res);
      if (pathname.startsWith('/artifacts/')) return artifacts(req, res);
      if (await handleHealth(res, pathname, () => (embedded?.exited() ? 'embedded database exited' : undefined))) return;
      if (pathname === '/metrics') return handleMetrics(req, res);
      if (await staticFiles(req, res, pathname)) return;
      sendError(res, 404, 'NOT_FOUND', 'No such route');
    };
    server = createServer((req, res) => {
      const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
      res.setHeader('x-request-id', requestId);
      // Stopping: a keep-alive client that never pauses (an agent streaming logs) would hold the
      // server open for ever; its connection ends after this answer.
      if (stopping) res.setHeader('connection', 'close');
      const state = { requestId, databaseOperations: 0 };
      const startedAt = performance.now();
      res.once('finish', () =>
        log.debug(
          {
            requestId,
            method: req.method,
            path: req.url?.split('?')[0],
            status: res.statusCode,
            durationMs: Math.round(performance.now() - startedAt),
            databaseOperations: state.databaseOperations,
          },
          'request',
        ),
      );
      requestContext.run(state, () =>
        handle(req, res).catch((error) => {
          if (res.headersSent) return res.destroy();
          // A database outage is expected: the caller is told to retry, as GraphQL tells it.
          if (isConnectionLoss(error)) {
            log.warn({ err: error, requestId }, 'database unavailable');
            const refusal = unavailable();
            const { status, headers } = refusal.extensions.http as { status: number; headers: Record<string, string> };
            return sendError(res, status, 'UNAVAILABLE', refusal.message, headers);
          }
          log.error({ err: error, requestId }, 'request failed');
          sendError(res, 500, 'INTERNAL', `Internal error (request ${requestId})`);
        }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.port, config.host, resolve);
    });
    sockets = attachWebSocketServer(server, graphql.yoga, bus, log, config);
    const port = (server.address() as AddressInfo).port;
    // With PORT=0 the signer learns the real port only now.
    if (!config.publicUrl) signer.setPublicUrl(`http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`);
    rescue = startRescueLoop(pool, storage, config, log);
    deliveries = startWebhookDeliveries({
      pool,
      databaseUrl,
      statementTimeoutMs: config.statementTimeoutMs,
      events: bus.target,
      webhooks,
      settings: { timeoutSeconds: config.webhookTimeoutSeconds, retryBaseSeconds: config.webhookRetryBaseSeconds },
      log,
    });
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    return { url, port, admin, databaseUrl };
  }

  /**
   * Graceful: stop accepting, tell subscribers to reconnect elsewhere, let in-flight requests
   * finish, then close the event bus and the database.
   */
  async function stop(): Promise<void> {
    stopping = true;
    await rescue?.stop();
    // Sends in flight finish (or are interrupted and due again) and are recorded while the database is open.
    await deliveries?.stop();
    await sockets?.close();
    if (server) {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    await bus?.close();
    await writes?.close();
    await closeDatabase();
    await embedded?.stop();
  }

  return { start, stop };
}
