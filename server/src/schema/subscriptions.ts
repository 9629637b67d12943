import { filter, pipe } from 'graphql-yoga';
import type { LocalEvent } from '../events/postgresEventTarget.ts';
import { trackSubscription } from '../metrics/metrics.ts';
import type { Context } from './context.ts';

type Topic = LocalEvent['topic'];
type EventOf<T extends Topic> = Extract<LocalEvent, { topic: T }>;

/** A subscription's feed: the bus events of one topic that pass `keep`, counted as open while listened to. */
export function busEvents<T extends Topic>(ctx: Context, topic: T, keep: (event: EventOf<T>) => boolean) {
  // pubsub's typing of a generic topic is too deep for TypeScript; its events are exactly EventOf<T>.
  const events = ctx.services.bus.pubsub.subscribe(topic) as unknown as AsyncIterable<EventOf<T>>;
  return trackSubscription(topic, pipe(events, filter(keep)));
}
