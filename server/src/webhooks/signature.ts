import { createHmac, randomBytes } from 'node:crypto';

/** Webhook signing secrets are `whsec_` and 32 random bytes in base64url, as Stripe's look. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** The header that carries a request's signature (docs/webhooks.md has the receiver's side). */
export const SIGNATURE_HEADER = 'Free-Agent-Signature';

/**
 * The value of the `Free-Agent-Signature` header, as Stripe signs: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256 keyed with the whole secret string (UTF-8), over "<t>.<raw body>">`. The timestamp is
 * signed with the body so a captured request cannot be replayed later than the receiver's tolerance.
 */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
