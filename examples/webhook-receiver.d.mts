// Types of examples/webhook-receiver.mjs, for TypeScript callers (the tests).

/** True when `header` (Free-Agent-Signature) signs `rawBody` with `secret` within `toleranceSeconds` of now. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  toleranceSeconds?: number,
  nowSeconds?: number,
): boolean;
