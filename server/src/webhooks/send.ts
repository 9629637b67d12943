import { lookup } from 'node:dns/promises';
import { Agent, buildConnector, request } from 'undici';
import { SERVER_VERSION } from '../version.ts';
import { ALLOW_HINT, type AddressPolicy } from './addressPolicy.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

/** A response body is read up to this many bytes (so the connection can be reused); the rest is dropped. */
const RESPONSE_BYTES_READ = 64 * 1024;
/** How much of a refusing receiver's answer a failed attempt keeps as its error, in characters. */
const ERROR_EXCERPT_CHARACTERS = 300;
/** Idle connections to receivers are kept this long for the next delivery. */
const KEEP_ALIVE_MS = 30_000;

/** One attempt at one delivery. */
export interface WebhookRequest {
  url: string;
  /** The webhook's signing secret, in clear. */
  secret: string;
  /** The event as the wire names it, e.g. `build.completed`. */
  event: string;
  deliveryId: string;
  /** The JSON body, exactly as signed and sent. */
  body: string;
}

/** How an attempt went: `delivered` on a 2xx answer; otherwise what went wrong, for the delivery's row. */
export interface AttemptOutcome {
  delivered: boolean;
  /** The answer's HTTP status, or null when there was none (refused, unreachable, timed out). */
  statusCode: number | null;
  error: string | null;
  /** From sending to the answer read, in milliseconds. */
  latencyMs: number;
}

/** A connection the address policy refused: the request was never sent. */
class RefusedAddressError extends Error {}

/**
 * undici's connector with the SSRF check in front (LIBRARIES.md, "webhooks out"): the host is
 * resolved here (an IP literal resolves to itself, so it meets the same check), each address is
 * judged by `policy`, and the connection goes to the first allowed one, by address, so nothing
 * resolves the name again between the check and the connect (no DNS-rebinding window). TLS still
 * names the host (undici takes SNI and the certificate check from the URL's host, not this address).
 */
function guardedConnector(policy: AddressPolicy, timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs });
  return (options, callback) => {
    lookup(options.hostname, { all: true, verbatim: true }).then(
      (addresses) => {
        const refusals: string[] = [];
        for (const { address } of addresses) {
          const refusal = policy.refusal(options.hostname, address);
          if (refusal === null) return connect({ ...options, hostname: address }, callback);
          refusals.push(refusal);
        }
        callback(new RefusedAddressError(`Refused to connect to ${options.hostname}: ${refusals.join(', ')} (${ALLOW_HINT})`), null);
      },
      (error: Error) => callback(error, null),
    );
  };
}

/**
 * Sends signed webhook requests through one undici Agent (keep-alive connections per receiver)
 * whose connections pass the address policy. Redirects are not followed (a 3xx is a failed
 * attempt), each attempt is bounded by `timeoutMs` from start to the answer read, and at most
 * RESPONSE_BYTES_READ of an answer is read.
 */
export class WebhookSender {
  readonly #agent: Agent;

  constructor(
    policy: AddressPolicy,
    private readonly timeoutMs: number,
  ) {
    this.#agent = new Agent({ connect: guardedConnector(policy, timeoutMs), keepAliveTimeout: KEEP_ALIVE_MS });
  }

  /**
   * Signs and POSTs one delivery. Never throws: every failure is an outcome. `stop` aborts the
   * attempt early (the server stopping); its outcome then says so.
   */
  async send(attempt: WebhookRequest, stop?: AbortSignal): Promise<AttemptOutcome> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    try {
      const response = await request(attempt.url, {
        method: 'POST',
        dispatcher: this.#agent,
        signal: stop ? AbortSignal.any([timeout, stop]) : timeout,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'user-agent': `FreeAgent-Webhooks/${SERVER_VERSION}`,
          'free-agent-event': attempt.event,
          'free-agent-delivery': attempt.deliveryId,
          [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(attempt.secret, Math.floor(Date.now() / 1000), attempt.body),
        },
        body: attempt.body,
      });
      const answer = await readCapped(response.body, RESPONSE_BYTES_READ);
      const { statusCode } = response;
      if (statusCode >= 200 && statusCode < 300) return { delivered: true, statusCode, error: null, latencyMs: elapsed() };
      const redirect = statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : '';
      const excerpt = storableExcerpt(answer);
      return {
        delivered: false,
        statusCode,
        error: `Answered HTTP ${statusCode}${redirect}${excerpt ? `: ${excerpt}` : ''}`,
        latencyMs: elapsed(),
      };
    } catch (error) {
      const reason = timeout.aborted
        ? `Timed out after ${this.timeoutMs / 1000} s`
        : stop?.aborted
          ? 'Interrupted: the server stopped'
          : describeError(error);
      return { delivered: false, statusCode: null, error: reason, latencyMs: elapsed() };
    }
  }

  /** Closes idle connections and ends the rest. */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}

/** Up to `limit` bytes of a body; past them the stream is destroyed (and its connection with it). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * The start of a receiver's answer as one line PostgreSQL can store: invalid UTF-8 becomes U+FFFD,
 * control characters (NUL too) become spaces, cut on a character boundary.
 */
function storableExcerpt(bytes: Buffer): string {
  // eslint-disable-next-line no-control-regex
  const text = new TextDecoder()
    .decode(bytes)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  const characters = Array.from(text);
  return characters.length > ERROR_EXCERPT_CHARACTERS ? `${characters.slice(0, ERROR_EXCERPT_CHARACTERS).join('')}…` : text;
}

/** An error as a delivery's row shows it: its message, with the cause undici wraps around it. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
