import type { Webhook } from '../generated/prisma/client.ts';
import { assertId, assertIdCursor } from '../queue/validate.ts';
import { webhookBody } from '../webhooks/body.ts';
import { redeliverWebhookDelivery } from '../webhooks/outbox.ts';
import { createWebhook, deleteWebhook, rotateWebhookSecret, updateWebhook } from '../webhooks/webhooks.ts';
import { builder } from './builder.ts';
import { assertPagingArgs, LIST_PAGE_SIZES } from './paging.ts';
import { WebhookDeliveryStatusEnum, WebhookEventEnum } from './scalars.ts';

// Webhooks are ADMIN only, reads included: a URL may carry a receiver's token in its query.

export const WebhookDeliveryType = builder.prismaObject('WebhookDelivery', {
  description: 'One event sent (or to be sent) to one webhook, with how its latest attempt went.',
  fields: (t) => ({
    id: t.exposeID('id', {
      description: "The delivery id, sent as `Free-Agent-Delivery` and as the body's `id`; the same in every attempt and redelivery.",
    }),
    event: t.expose('event', { type: WebhookEventEnum, description: 'What it announces.' }),
    status: t.expose('status', { type: WebhookDeliveryStatusEnum, description: 'Where it is.' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts so far, the one in flight included.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the change it announces happened.' }),
    nextAttemptAt: t.expose('nextAttemptAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'While PENDING: when it is next tried (while it is being sent: when that attempt is given up for lost). Null once finished.',
    }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When a receiver accepted it (2xx).' }),
    responseStatus: t.exposeInt('lastStatusCode', {
      nullable: true,
      description: "The HTTP status of the latest attempt's answer; null when there was none (refused, unreachable, timed out).",
    }),
    error: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the latest attempt failed (with the start of the answer, if any); null when it succeeded.',
    }),
    latencyMs: t.exposeInt('lastLatencyMs', {
      nullable: true,
      description: "The latest attempt's time from sending to the answer read, ms.",
    }),
    payload: t.field({
      type: 'JSON',
      description: 'The body as sent: `{ id, event, createdAt, data: { build } | { worker } }` (docs/webhooks.md).',
      resolve: (delivery) => webhookBody(delivery),
    }),
    webhook: t.relation('webhook', { description: 'The webhook it goes to.' }),
  }),
});

export const WebhookType = builder.prismaObject('Webhook', {
  description: 'An endpoint told of events by signed HTTP POSTs. Its signing secret is shown once, when it is created or rotated.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The webhook id.' }),
    url: t.exposeString('url', { description: 'Where requests go.' }),
    description: t.exposeString('description', { nullable: true, description: 'What it is for.' }),
    events: t.expose('events', { type: [WebhookEventEnum], description: 'What it is told of.' }),
    enabled: t.exposeBoolean('enabled', { description: 'Whether events are sent to it; a disabled webhook gets no new deliveries.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last changed (its secret included).' }),
    createdBy: t.relation('createdBy', { nullable: true, description: 'The API key that registered it.' }),
    deliveries: t.prismaConnection(
      {
        type: 'WebhookDelivery',
        cursor: 'id',
        description: `Its deliveries, newest first; pages of up to ${LIST_PAGE_SIZES.maxSize} (default ${LIST_PAGE_SIZES.defaultSize}).`,
        args: { status: t.arg({ type: [WebhookDeliveryStatusEnum], required: false, description: 'Only these statuses.' }) },
        ...LIST_PAGE_SIZES,
        resolve: (query, webhook, args, ctx) => {
          assertPagingArgs(args, LIST_PAGE_SIZES);
          return ctx.services.db.reads.webhookDelivery.findMany({
            ...assertIdCursor(query),
            where: { webhookId: webhook.id, ...(args.status?.length ? { status: { in: [...new Set(args.status)] } } : {}) },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          });
        },
      },
      { description: 'A page of webhook deliveries.' },
      { description: 'A webhook delivery in a page.' },
    ),
  }),
});

/** A webhook with its signing secret, for the two answers that show a secret. */
const webhookWithSecret = (name: string, description: string) =>
  builder.objectRef<{ webhook: Webhook; secret: string }>(name).implement({
    description,
    fields: (t) => ({
      webhook: t.field({ type: WebhookType, description: 'The webhook.', resolve: (payload) => payload.webhook }),
      secret: t.exposeString('secret', {
        description:
          'The signing secret (`whsec_…`). It is shown this once: store it now. Receivers verify `Free-Agent-Signature` with it (docs/webhooks.md).',
      }),
    }),
  });

const CreateWebhookPayload = webhookWithSecret('CreateWebhookPayload', 'A new webhook and its signing secret.');
const RotateWebhookSecretPayload = webhookWithSecret('RotateWebhookSecretPayload', 'A webhook and its new signing secret.');

const DeleteWebhookPayload = builder.objectRef<{ id: string }>('DeleteWebhookPayload').implement({
  description: 'What deleteWebhook removed.',
  fields: (t) => ({ id: t.exposeID('id', { description: 'The id of the webhook deleted, with its deliveries.' }) }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  description: 'A webhook to register.',
  fields: (t) => ({
    url: t.string({
      required: true,
      description:
        'Where to POST: an http:// or https:// URL without user name, password or fragment, at most 2000 characters. Addresses other than public ones are refused unless FREE_AGENT_WEBHOOK_ALLOWED_HOSTS allows them.',
    }),
    events: t.field({ type: [WebhookEventEnum], required: true, description: 'What to send it: at least one event.' }),
    description: t.string({ required: false, description: 'What it is for: one line, at most 500 characters.' }),
    enabled: t.boolean({ required: false, description: 'Whether to send to it at once (default true).' }),
  }),
});

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description: 'Changes to a webhook; fields left out stay as they are.',
  fields: (t) => ({
    url: t.string({ required: false, description: 'A new URL (the rules of CreateWebhookInput.url); pending deliveries go to it.' }),
    events: t.field({ type: [WebhookEventEnum], required: false, description: 'The events it is sent from now on: at least one.' }),
    description: t.string({ required: false, description: 'A new description; null or blank clears it.' }),
    enabled: t.boolean({
      required: false,
      description:
        'Disable to stop sending: no new deliveries, and pending ones end FAILED unsent when they fall due (they can be redelivered once enabled).',
    }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.prismaField({
    type: ['Webhook'],
    description: 'Every webhook, newest first (ADMIN).',
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.services.db.reads.webhook.findMany({ ...query, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
  webhook: t.prismaField({
    type: 'Webhook',
    nullable: true,
    description: 'One webhook by id, or null when there is none (ADMIN).',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The webhook id.' }) },
    resolve: (query, _root, args, ctx) => ctx.services.db.reads.webhook.findUnique({ ...query, where: { id: assertId(args.id, 'id') } }),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.withAuth({ admin: true }).field({
    type: CreateWebhookPayload,
    description: 'Registers a webhook (ADMIN); its signing secret is in this answer only.',
    args: { input: t.arg({ type: CreateWebhookInput, required: true, description: 'The webhook.' }) },
    resolve: (_root, { input }, ctx) => createWebhook(ctx.services.db.reads, ctx.services.webhooks, input, ctx.principal.apiKeyId),
  }),
  updateWebhook: t.prismaField({
    type: 'Webhook',
    description: 'Changes a webhook: its URL, events, description, or whether it is enabled (ADMIN).',
    authScopes: { admin: true },
    args: {
      id: t.arg.id({ required: true, description: 'The webhook id.' }),
      input: t.arg({ type: UpdateWebhookInput, required: true, description: 'What to change.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await updateWebhook(ctx.services.db.reads, ctx.services.webhooks.policy, args.id, args.input);
      return ctx.services.db.reads.webhook.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteWebhook: t.field({
    type: DeleteWebhookPayload,
    description: 'Deletes a webhook and its deliveries (ADMIN). Nothing more is sent to it.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The webhook id.' }) },
    resolve: async (_root, args, ctx) => {
      await deleteWebhook(ctx.services.db.reads, args.id);
      return { id: args.id.toLowerCase() };
    },
  }),
  rotateWebhookSecret: t.field({
    type: RotateWebhookSecretPayload,
    description: 'Gives a webhook a new signing secret, in this answer only; the old one stops signing at once (ADMIN).',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The webhook id.' }) },
    resolve: (_root, args, ctx) => rotateWebhookSecret(ctx.services.db.reads, ctx.services.webhooks.sealer, args.id),
  }),
  redeliverWebhookDelivery: t.prismaField({
    type: 'WebhookDelivery',
    description:
      'Sends a delivery again, now, under the same delivery id (ADMIN): a DELIVERED or FAILED one goes back to PENDING, a PENDING one is brought forward. CONFLICT while its webhook is disabled.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The delivery id.' }) },
    resolve: async (query, _root, args, ctx) => {
      await redeliverWebhookDelivery(ctx.services.db.sql, args.id);
      return ctx.services.db.reads.webhookDelivery.findUniqueOrThrow({ ...query, where: { id: args.id.toLowerCase() } });
    },
  }),
}));
