import { expect } from 'vitest';
import { verifySignature } from '../../examples/webhook-receiver.mjs';
import { expectData, graphql } from './graphql.ts';
import type { TestServer } from './server.ts';
import type { ReceivedRequest } from './webhookReceiver.ts';

/** The fields of Webhook the tests read. */
export const WEBHOOK_FIELDS = 'id url description events enabled createdAt updatedAt createdBy { id }';
/** The fields of WebhookDelivery the tests read. */
export const DELIVERY_FIELDS = 'id event status attempts createdAt nextAttemptAt deliveredAt responseStatus error latencyMs payload';

export interface Delivery {
  id: string;
  event: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  responseStatus: number | null;
  error: string | null;
  latencyMs: number | null;
  payload: any;
}

/** createWebhook's raw answer, as `token` (the admin key by default). */
export function createWebhook(
  server: TestServer,
  input: { url: string; events: string[]; description?: string | null; enabled?: boolean },
  token = server.adminKey,
) {
  return graphql<{ createWebhook: { secret: string; webhook: { id: string; [field: string]: unknown } } }>(
    server.graphqlUrl,
    `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`,
    { input },
    token,
  );
}

/** Registers a webhook with the admin key; its id and secret. */
export async function newWebhook(server: TestServer, input: Parameters<typeof createWebhook>[1]) {
  const created = expectData(await createWebhook(server, input)).createWebhook;
  return { id: created.webhook.id, secret: created.secret };
}

export function updateWebhook(server: TestServer, id: string, input: Record<string, unknown>, token = server.adminKey) {
  return graphql<{ updateWebhook: any }>(
    server.graphqlUrl,
    `mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { ${WEBHOOK_FIELDS} } }`,
    { id, input },
    token,
  );
}

export function deleteWebhook(server: TestServer, id: string, token = server.adminKey) {
  return graphql<{ deleteWebhook: { id: string } }>(
    server.graphqlUrl,
    `
      mutation ($id: ID!) {
        deleteWebhook(id: $id) {
          id
        }
      }
    `,
    { id },
    token,
  );
}

export function redeliver(server: TestServer, id: string, token = server.adminKey) {
  return graphql<{ redeliverWebhookDelivery: Delivery }>(
    server.graphqlUrl,
    `mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { ${DELIVERY_FIELDS} } }`,
    { id },
    token,
  );
}

/** A webhook's deliveries, newest first (one page of up to 100). */
export async function deliveriesOf(server: TestServer, webhookId: string): Promise<Delivery[]> {
  const data = expectData(
    await graphql<{ webhook: { deliveries: { edges: { node: Delivery }[] } } | null }>(
      server.graphqlUrl,
      `query ($id: ID!) { webhook(id: $id) { deliveries(first: 100) { edges { node { ${DELIVERY_FIELDS} } } } } }`,
      { id: webhookId },
      server.adminKey,
    ),
  );
  return data.webhook?.deliveries.edges.map((edge) => edge.node) ?? [];
}

/**
 * Checks one received request as a receiver should: POST, JSON, its signature verified with the
 * documented recipe (examples/webhook-receiver.mjs, shown in docs/webhooks.md) and failing with any
 * other secret, headers agreeing with the body.
 */
export function expectSignedRequest(request: ReceivedRequest, secret: string): void {
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['user-agent']).toMatch(/^FreeAgent-Webhooks\/\d+\.\d+\.\d+$/);
  expect(verifySignature(secret, request.headers['free-agent-signature'], request.rawBody)).toBe(true);
  expect(verifySignature(`${secret}x`, request.headers['free-agent-signature'], request.rawBody)).toBe(false);
  expect(Object.keys(request.body).sort()).toEqual(['createdAt', 'data', 'event', 'id']);
  expect(request.headers['free-agent-event']).toBe(request.body.event);
  expect(request.headers['free-agent-delivery']).toBe(request.body.id);
  expect(new Date(request.body.createdAt).toISOString()).toBe(request.body.createdAt);
}
