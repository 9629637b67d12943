import { cacheExchange, type Cache, type KeyingConfig } from '@urql/exchange-graphcache';
import { embeddedTypes, singletonTypes } from './cacheKeys.ts';

const keys: KeyingConfig = Object.fromEntries([
  ...embeddedTypes.map((type) => [type, () => null] as const),
  ...singletonTypes.map((type) => [type, () => type] as const),
]);

interface ListMatch {
  /** The root field holding the lists, e.g. `builds`. */
  field: string;
  /** The changed entity. */
  entityKey: string;
  /** Whether a list with these arguments could hold the entity as it is now. */
  couldHold: (args: Record<string, unknown>) => boolean;
}

/**
 * Makes lists that lack a changed entity fetch again, so new items appear: an entity already in a
 * cached list is updated in place by graphcache itself; one that is in none of them is new to
 * this view. Only first pages (no `after`/`before`) whose filter could hold it are invalidated;
 * active queries on them then fetch again.
 */
function refreshListsLacking(cache: Cache, { field, entityKey, couldHold }: ListMatch) {
  const lists = cache.inspectFields('Query').filter((info) => info.fieldName === field);
  const holds = lists.some((info) => {
    const connection = cache.resolve('Query', info.fieldKey) as string | null;
    const edges = connection ? ((cache.resolve(connection, 'edges') as string[] | null) ?? []) : [];
    return edges.some((edge) => cache.resolve(edge, 'node') === entityKey);
  });
  if (holds) return;
  for (const info of lists) {
    const args = info.arguments ?? {};
    if (args.after == null && args.before == null && couldHold(args)) cache.invalidate('Query', field, args);
  }
}

/** Whether `value` passes a filter condition that is either absent, one value, or a list of values. */
function passes(condition: unknown, value: unknown): boolean {
  if (condition == null || value == null) return true;
  return Array.isArray(condition) ? condition.includes(value) : condition === value;
}

type Filter = { status?: unknown; platform?: unknown } | undefined;

/**
 * The console's normalised cache. Entities with an `id` are shared by every query; `Query.build`
 * and `Query.worker` read an entity already in the cache (e.g. from a list) before asking the
 * server; `buildUpdated` and `workerUpdated` events update entities in place and bring new ones
 * into the lists they belong to.
 */
export function consoleCacheExchange() {
  return cacheExchange({
    keys,
    resolvers: {
      Query: {
        // Once the server answered null (no such build), that answer stands: a reference to an
        // entity that never arrives would be a cache miss for ever (the page would load for ever).
        build: (_parent, args, cache, info) =>
          cache.resolve(info.parentKey, info.fieldName, args) === null ? null : { __typename: 'Build', id: args.id as string },
        // The same for a worker.
        worker: (_parent, args, cache, info) =>
          cache.resolve(info.parentKey, info.fieldName, args) === null ? null : { __typename: 'Worker', id: args.id as string },
      },
    },
    updates: {
      Subscription: {
        buildUpdated(parent, _args, cache) {
          const event = parent.buildUpdated as { buildId: string; status: string } | undefined;
          if (!event) return;
          const entityKey = cache.keyOfEntity({ __typename: 'Build', id: event.buildId });
          if (!entityKey) return;
          const platform = cache.resolve(entityKey, 'platform');
          refreshListsLacking(cache, {
            field: 'builds',
            entityKey,
            couldHold: (args) => {
              const filter = args.filter as Filter;
              return passes(filter?.status, event.status) && passes(filter?.platform, platform);
            },
          });
        },
        workerUpdated(parent, _args, cache) {
          const event = parent.workerUpdated as { workerId: string } | undefined;
          if (!event) return;
          const entityKey = cache.keyOfEntity({ __typename: 'Worker', id: event.workerId });
          if (!entityKey) return;
          const status = cache.resolve(entityKey, 'status');
          refreshListsLacking(cache, {
            field: 'workers',
            entityKey,
            couldHold: (args) => passes((args.filter as Filter)?.status, status),
          });
        },
      },
      Mutation: {
        // A created key is new to the keys list: it fetches again.
        createApiKey(_parent, _args, cache) {
          for (const info of cache.inspectFields('Query')) {
            if (info.fieldName === 'apiKeys') cache.invalidate('Query', 'apiKeys', info.arguments ?? undefined);
          }
        },
        // A created webhook is new to the webhooks list, a deleted one gone from it: it fetches again.
        createWebhook(_parent, _args, cache) {
          cache.invalidate('Query', 'webhooks');
        },
        deleteWebhook(_parent, args, cache) {
          cache.invalidate({ __typename: 'Webhook', id: args.id as string });
          cache.invalidate('Query', 'webhooks');
        },
        // Disabling ends its pending deliveries FAILED (and a new URL applies to them): its pages of
        // deliveries fetch again.
        updateWebhook(_parent, args, cache) {
          const entityKey = cache.keyOfEntity({ __typename: 'Webhook', id: args.id as string });
          if (!entityKey) return;
          for (const info of cache.inspectFields(entityKey)) {
            if (info.fieldName === 'deliveries') cache.invalidate(entityKey, 'deliveries', info.arguments ?? undefined);
          }
        },
        // A submitted build is new to every list: the first pages fetch again.
        submitBuild(_parent, _args, cache) {
          for (const info of cache.inspectFields('Query')) {
            if (info.fieldName === 'builds' && info.arguments?.after == null && info.arguments?.before == null) {
              cache.invalidate('Query', 'builds', info.arguments ?? undefined);
            }
          }
        },
      },
    },
  });
}
