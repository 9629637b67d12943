import { createPubSub } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import type { SqlPool } from '../db/sql.ts';
import { CredentialCache } from '../auth/credentialCache.ts';
import { JobDispatcher } from './jobDispatcher.ts';
import type { LocalEvent } from './postgresEventTarget.ts';
import { PostgresEventTarget } from './postgresEventTarget.ts';
import { QueueStatsFeed } from './queueStatsFeed.ts';

type Topics = { [Topic in LocalEvent['topic']]: [Extract<LocalEvent, { topic: Topic }>] };

/** Starts this process's end of the event bus and the feeds built on it. */
export async function startEventBus(listenUrl: string, db: Database, pool: SqlPool, log: Logger) {
  const target = new PostgresEventTarget(listenUrl, log);
  await target.start();
  const pubsub = createPubSub<Topics>({ eventTarget: target as never });
  const jobs = new JobDispatcher(pool, target, log);
  const queueStats = new QueueStatsFeed(db, target, log);
  const credentials = new CredentialCache();
  target.addEventListener('credentialsChanged', (event) =>
    credentials.evict((event as CustomEvent<{ workerId?: string; apiKeyId?: string }>).detail),
  );
  target.addEventListener('resync', () => credentials.clear());
  return {
    credentials,
    target,
    pubsub,
    jobs,
    queueStats,
    async close() {
      jobs.close();
      queueStats.close();
      await target.close();
    },
  };
}

export type EventBus = Awaited<ReturnType<typeof startEventBus>>;
