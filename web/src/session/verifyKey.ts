import { Client, fetchExchange } from 'urql';
import { graphql } from '../gql/gql.ts';
import { describeError, errorCode } from '../graphql/errors.ts';

const SignInCheckQuery = graphql(`
  query SignInCheck {
    me {
      kind
      name
      role
    }
  }
`);

export type KeyVerification = { ok: true; name: string; role: string } | { ok: false; reason: string };

/**
 * Asks the server who `key` is (`me`), outside the console's client so nothing is cached or
 * retried. Resolves to the key's name and role, or to the reason to refuse it: unknown or revoked
 * (UNAUTHENTICATED), a worker's credential, or a WORKER key (it may only register build machines).
 * Never throws: an unreachable server is a reason too.
 */
export async function verifyKey(key: string): Promise<KeyVerification> {
  const client = new Client({
    url: '/graphql',
    exchanges: [fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${key}` } },
    requestPolicy: 'network-only',
  });
  const result = await client.query(SignInCheckQuery, {}).toPromise();
  if (result.error) {
    const described = describeError(result.error);
    if (errorCode(result.error) === 'UNAUTHENTICATED') {
      return { ok: false, reason: `The server refused this key: ${described.message}. Check that you pasted the whole key.` };
    }
    return { ok: false, reason: `${described.title}: ${described.message}` };
  }
  const me = result.data?.me;
  if (!me) return { ok: false, reason: 'The server did not say who this key belongs to.' };
  if (me.kind !== 'API_KEY' || !me.role) {
    return { ok: false, reason: "This is a worker's access token. Sign in with an API key." };
  }
  if (me.role === 'WORKER') {
    return {
      ok: false,
      reason: 'This is a WORKER key: it may only register build machines. Sign in with an ADMIN, SUBMITTER or VIEWER key.',
    };
  }
  return { ok: true, name: me.name, role: me.role };
}
