import type { WebhookDeliveryStatus } from '../../gql/graphql.ts';
import { isOneOf, webhookDeliveryStatuses } from '../../graphql/enums.ts';

/** A webhook page's view of its deliveries as it lives in the URL (`/webhooks/<id>?status=FAILED&after=…`). */
export interface WebhookSearch {
  /** Only deliveries in this status; absent for all. */
  status?: WebhookDeliveryStatus;
  /** Relay cursor: the page of deliveries older than this one. */
  after?: string;
  /** Relay cursor: the page of deliveries newer than this one (ignored when `after` is set). */
  before?: string;
}

/** A cursor as the URL may carry it (base64 or base64url, at most 500 characters), or nothing. */
function cursor(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9+/_=-]{1,500}$/.test(value) ? value : undefined;
}

/**
 * Turns whatever the URL holds into a valid view, dropping what is not (the router calls it on
 * every navigation, so a hand-edited link never breaks the page).
 */
export function validateWebhookSearch(search: Record<string, unknown>): WebhookSearch {
  const after = cursor(search.after);
  return {
    status: isOneOf(webhookDeliveryStatuses, search.status) ? search.status : undefined,
    after,
    before: after ? undefined : cursor(search.before),
  };
}
