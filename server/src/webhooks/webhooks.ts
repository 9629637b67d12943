import { createSealer, type Sealer } from '../auth/sealer.ts';
import type { Database } from '../db/client.ts';
import { badInput, notFound } from '../errors.ts';
import type { Webhook } from '../generated/prisma/client.ts';
import { WebhookEvent } from '../generated/prisma/enums.ts';
import { assertId, assertText } from '../queue/validate.ts';
import { ALLOW_HINT, type AddressPolicy, createAddressPolicy } from './addressPolicy.ts';
import { newWebhookSecret } from './signature.ts';

/** What webhook changes need besides the database: the secrets' sealer and the address policy. */
export interface WebhookServices {
  sealer: Sealer;
  policy: AddressPolicy;
}

/**
 * The sealer's purpose for webhook signing secrets (HKDF info): its bytes derive the key of every
 * stored secret, so they never change.
 */
const WEBHOOK_SECRETS = 'free-agent webhook signing secrets';

/** The services for the instance's encryption key and FREE_AGENT_WEBHOOK_ALLOWED_HOSTS' entries. */
export function createWebhookServices(encryptionKey: string, allowedHosts: readonly string[]): WebhookServices {
  return { sealer: createSealer(encryptionKey, WEBHOOK_SECRETS), policy: createAddressPolicy(allowedHosts) };
}

const MAX_URL_LENGTH = 2000;
const MAX_DESCRIPTION_LENGTH = 500;

/**
 * A webhook URL as stored (WHATWG-normalised), checked: absolute http(s), no credentials (they would
 * be stored and shown in clear; a receiver checks the signature instead), no fragment (never sent),
 * and, cheaply before any lookup, no IP literal outside the public unicast ranges nor `localhost`
 * unless the policy allows it. Host names are checked again at every connection, after DNS.
 * Throws BAD_USER_INPUT.
 */
export function assertWebhookUrl(url: string, policy: AddressPolicy): string {
  const text = assertText(url, MAX_URL_LENGTH, 'url');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw badInput('url must be an absolute http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw badInput('url must be an http:// or https:// URL');
  if (parsed.username || parsed.password) throw badInput('url must not carry a user name or password');
  if (parsed.hash) throw badInput('url must not have a fragment (#…): it is never sent');
  const refusal = policy.literalRefusal(parsed.hostname);
  if (refusal) throw badInput(`url is refused: ${refusal} (${ALLOW_HINT})`);
  return parsed.href;
}

/** The events, each once, in the enum's order; at least one. Throws BAD_USER_INPUT. */
function assertEvents(events: readonly WebhookEvent[]): WebhookEvent[] {
  if (events.length === 0) throw badInput('events must name at least one event');
  const chosen = new Set(events);
  return Object.values(WebhookEvent).filter((event) => chosen.has(event));
}

const assertDescription = (description: string | null | undefined) =>
  description == null || description.trim() === '' ? null : assertText(description, MAX_DESCRIPTION_LENGTH, 'description');

/** Prisma's "record to update/delete not found" as our NOT_FOUND. */
async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if ((error as { code?: string }).code === 'P2025') throw notFound('Webhook');
    throw error;
  }
}

/** A new secret, and its sealed form for the row. */
function newSecret(sealer: Sealer) {
  const secret = newWebhookSecret();
  return { secret, sealedSecret: new Uint8Array(sealer.encrypt(Buffer.from(secret, 'utf8'))) };
}

export interface CreateWebhookInput {
  url: string;
  events: readonly WebhookEvent[];
  description?: string | null;
  enabled?: boolean | null;
}

/**
 * Registers a webhook (enabled unless `enabled` is false). Its signing secret is in this answer
 * only; the row keeps it sealed. Throws BAD_USER_INPUT for a bad URL, description or event list.
 */
export async function createWebhook(
  db: Database,
  services: WebhookServices,
  input: CreateWebhookInput,
  createdById: string | null,
): Promise<{ webhook: Webhook; secret: string }> {
  const url = assertWebhookUrl(input.url, services.policy);
  const events = assertEvents(input.events);
  const description = assertDescription(input.description);
  const { secret, sealedSecret } = newSecret(services.sealer);
  const webhook = await db.webhook.create({
    data: { url, events, description, enabled: input.enabled ?? true, sealedSecret, createdById },
  });
  return { webhook, secret };
}

/** Fields to change; absent ones stay, a null or blank description clears it. */
export interface UpdateWebhookInput {
  url?: string | null;
  events?: readonly WebhookEvent[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

/**
 * Changes a webhook. New deliveries follow the change at once (the outbox trigger reads the row in
 * each change's transaction); pending ones go to the new URL; a disabled webhook's pending
 * deliveries are not sent (they end FAILED and can be redelivered once it is enabled). Throws
 * NOT_FOUND, BAD_USER_INPUT.
 */
export async function updateWebhook(db: Database, policy: AddressPolicy, id: string, input: UpdateWebhookInput): Promise<Webhook> {
  const webhookId = assertId(id, 'id');
  const data = {
    ...(input.url != null ? { url: assertWebhookUrl(input.url, policy) } : {}),
    ...(input.events != null ? { events: assertEvents(input.events) } : {}),
    ...(input.description !== undefined ? { description: assertDescription(input.description) } : {}),
    ...(input.enabled != null ? { enabled: input.enabled } : {}),
  };
  return orNotFound(db.webhook.update({ where: { id: webhookId }, data: { ...data, updatedAt: new Date() } }));
}

/** Deletes a webhook and its deliveries, sent or not. Throws NOT_FOUND. */
export async function deleteWebhook(db: Database, id: string): Promise<void> {
  const webhookId = assertId(id, 'id');
  await orNotFound(db.webhook.delete({ where: { id: webhookId }, select: { id: true } }));
}

/**
 * Gives a webhook a new signing secret, in this answer only; the old one stops at once (requests from
 * now on, retries included, are signed with the new one). Throws NOT_FOUND.
 */
export async function rotateWebhookSecret(db: Database, sealer: Sealer, id: string): Promise<{ webhook: Webhook; secret: string }> {
  const webhookId = assertId(id, 'id');
  const { secret, sealedSecret } = newSecret(sealer);
  const webhook = await orNotFound(db.webhook.update({ where: { id: webhookId }, data: { sealedSecret, updatedAt: new Date() } }));
  return { webhook, secret };
}
