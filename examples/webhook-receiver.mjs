// A Free Agent webhook receiver: checks each request's signature, skips deliveries it has seen
// (retries and redeliveries reuse the delivery id) and prints the event. docs/webhooks.md explains it.
//
//   FREE_AGENT_WEBHOOK_SECRET=whsec_… node examples/webhook-receiver.mjs [port]
//
// Node ≥ 20, no dependencies. test/webhooks.test.ts verifies every request it receives with
// verifySignature() below, and checks that docs/webhooks.md shows the same function.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * True when `header` (the Free-Agent-Signature header: `t=<unix seconds>,v1=<hex>`) signs `rawBody`
 * (the request body exactly as received, before any JSON parsing) with `secret`, and was made within
 * `toleranceSeconds` of now, so a captured request cannot be replayed later.
 */
export function verifySignature(secret, header, rawBody, toleranceSeconds = 300, nowSeconds = Date.now() / 1000) {
  const fields = new Map((header ?? '').split(',').map((part) => part.trim().split('=', 2)));
  const timestamp = Number(fields.get('t'));
  const signature = fields.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.FREE_AGENT_WEBHOOK_SECRET;
  if (!secret) throw new Error('Set FREE_AGENT_WEBHOOK_SECRET to the secret createWebhook showed');
  const seen = new Set(); // a real receiver keeps delivery ids in its database
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(secret, request.headers['free-agent-signature'], rawBody)) {
        response.writeHead(400).end('bad signature');
        return;
      }
      // Answer at once (2xx within the server's timeout); do slow work after answering.
      response.writeHead(204).end();
      const delivery = JSON.parse(rawBody);
      if (seen.has(delivery.id)) return;
      seen.add(delivery.id);
      const subject = delivery.data.build ?? delivery.data.worker;
      console.log(`${delivery.createdAt} ${delivery.event} ${subject.id} ${subject.status}`);
    });
  });
  server.listen(Number(process.argv[2] ?? 8080), () => console.log(`listening on ${server.address().port}`));
}
