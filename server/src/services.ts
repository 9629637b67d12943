import path from 'node:path';
import type { Logger } from 'pino';
import { ensureAdminKey, type BootstrapResult } from './auth/bootstrap.ts';
import type { Config } from './config/config.ts';
import { loadInstanceSecrets } from './config/instanceSecrets.ts';
import { openDb } from './db/database.ts';
import { startEmbeddedPostgres } from './db/embeddedPostgres.ts';
import { migrate } from './db/migrate.ts';
import { startEventBus } from './events/bus.ts';
import { publicUrl } from './http/httpServer.ts';
import { ClaimBatcher } from './queue/claimBatcher.ts';
import { PendingEstimate } from './queue/pendingEstimate.ts';
import type { Services } from './schema/context.ts';
import { createCertCipher, type CertCipher } from './storage/certEncryption.ts';
import { createLocalDiskStorage } from './storage/localDiskStorage.ts';
import type { ObjectStorage } from './storage/objectStorage.ts';
import { createS3Storage } from './storage/s3Storage.ts';
import { createUrlSigner } from './storage/signedUrl.ts';
import { createWebhookServices } from './webhooks/webhooks.ts';

/** The resolvers' services, plus what the HTTP routes and the background loops run on. */
export interface AppServices extends Services {
  /** The database the pool connects to: DATABASE_URL, or the embedded cluster's. */
  databaseUrl: string;
  /** The admin key found or made at start (with its secret when made now). */
  admin: BootstrapResult;
  /** Encrypts signing certificates at rest. */
  certCipher: CertCipher;
  /** Why this process cannot recover by itself (its embedded PostgreSQL exited), or undefined. */
  unrecoverable(): string | undefined;
  /** Closes everything opened, the last opened first; a second call does nothing. */
  close(): Promise<void>;
}

/** The configured artifact storage; an S3 bucket is checked to be reachable first (throws with the storage's reason). */
async function openStorage(config: Config): Promise<ObjectStorage> {
  if (config.storage.kind === 'local') return createLocalDiskStorage(path.resolve(config.dataDir, 'artifacts'));
  const s3 = createS3Storage(config.storage);
  await s3.checkBucket();
  return s3;
}

/**
 * Opens what the server runs on, in order: the database (embedded, or DATABASE_URL), its
 * migrations, its connections (db/database.ts), the admin key, the instance secrets, artifact
 * storage, the event bus, the claim batcher, the pending estimate and the webhook services. Throws the first step's error,
 * after closing what the earlier steps opened.
 */
export async function openServices(config: Config, log: Logger): Promise<AppServices> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (let closeNext = closers.pop(); closeNext; closeNext = closers.pop()) await closeNext();
  };
  try {
    const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, log);
    if (embedded) closers.push(() => embedded.stop());
    const databaseUrl = config.databaseUrl ?? embedded!.url;
    // On the direct connection: the migrations' session-level advisory lock, taken through a
    // transaction-mode pooler, stays with whichever server connection took it (docs/operations.md).
    const directUrl = config.listenDatabaseUrl ?? databaseUrl;
    await migrate(directUrl, log);
    // Group commit's connection opens on first use, and the bus (opened later) closes before it.
    const db = openDb(databaseUrl, config, log);
    closers.push(() => db.close());
    const admin = await ensureAdminKey(db.reads, {
      configuredKey: config.adminKey,
      dataDir: config.dataDir,
      writeSecretFile: !config.databaseUrl,
    });

    const secrets = await loadInstanceSecrets(config);
    const storage = await openStorage(config);
    // The port may be 0 here: the app sets the URL again once it listens.
    const signer = createUrlSigner({ secret: secrets.signingSecret, keyId: 'k1', publicUrl: publicUrl(config, config.port) });
    const bus = await startEventBus(directUrl, db.reads, db.sql, log);
    closers.push(() => bus.close());
    return {
      config,
      storage,
      signer,
      log,
      bus,
      db,
      claims: new ClaimBatcher(db.sql),
      pending: new PendingEstimate(db.sql, config.maxPendingBuilds),
      webhooks: createWebhookServices(secrets.encryptionKey, config.webhookAllowedHosts),
      databaseUrl,
      admin,
      certCipher: createCertCipher(secrets.encryptionKey),
      unrecoverable: () => (embedded?.exited() ? 'embedded database exited' : undefined),
      close,
    };
  } catch (error) {
    await close().catch((closeError) => log.warn({ err: closeError }, 'could not close what a failed start opened'));
    throw error;
  }
}
