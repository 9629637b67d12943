import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UrlSignerOptions {
  secret: string;
  /** Names the secret in each URL, so a rotated secret can be told apart from a forged signature. */
  keyId: string;
  /** Base of the URLs handed out, e.g. `https://builds.example.com`. */
  publicUrl: string;
}

export type SignatureCheck = 'ok' | 'expired' | 'invalid';

export interface UrlSigner {
  sign(method: 'GET' | 'PUT', path: string, ttlSeconds: number): { url: string; expiresAt: Date };
  /** Checks the `expires`, `kid` and `sig` query parameters of a request for method and path. */
  verify(method: string, path: string, query: URLSearchParams): SignatureCheck;
  /** For a server listening on port 0, which learns its address only once it listens. */
  setPublicUrl(publicUrl: string): void;
}

const EXPIRES = /^[0-9]{1,12}$/;

/**
 * Short-lived URLs for artifact bytes: an HMAC-SHA256 over method, path, expiry and key id, so a
 * URL cannot be moved to another object, method or lifetime. The query string carries nothing else.
 */
export function createUrlSigner(options: UrlSignerOptions): UrlSigner {
  let publicUrl = options.publicUrl.replace(/\/+$/, '');

  // Newlines cannot occur in a method, a URL path or a number, so the fields cannot run together.
  const signatureOf = (method: string, path: string, expires: string, keyId: string) =>
    createHmac('sha256', options.secret).update(`${method}\n${path}\n${expires}\n${keyId}`).digest('base64url');

  return {
    sign(method, path, ttlSeconds) {
      const expires = String(Math.floor(Date.now() / 1000) + Math.ceil(ttlSeconds));
      const query = new URLSearchParams({ expires, kid: options.keyId, sig: signatureOf(method, path, expires, options.keyId) });
      return { url: `${publicUrl}${path}?${query}`, expiresAt: new Date(Number(expires) * 1000) };
    },

    verify(method, path, query) {
      const expires = query.get('expires');
      const keyId = query.get('kid');
      const signature = query.get('sig');
      if (!expires || !EXPIRES.test(expires) || keyId !== options.keyId || !signature) return 'invalid';
      // Compared as base64url text: Buffer's lenient decoding would accept several spellings of one signature.
      const expected = Buffer.from(signatureOf(method, path, expires, keyId));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      // Expiry is checked only once the signature holds, so an edited expiry is invalid, not expired.
      return Date.now() >= Number(expires) * 1000 ? 'expired' : 'ok';
    },

    setPublicUrl(url) {
      publicUrl = url.replace(/\/+$/, '');
    },
  };
}
