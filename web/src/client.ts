import { cacheExchange, Client, fetchExchange } from 'urql';

const KEY_STORAGE = 'free-agent.key';

export const storedKey = () => localStorage.getItem(KEY_STORAGE) ?? '';
export const storeKey = (key: string) => localStorage.setItem(KEY_STORAGE, key);

/** The console's one GraphQL client: every request carries the stored key. */
export function createClient(key: string) {
  return new Client({
    url: '/graphql',
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => ({ headers: key ? { authorization: `Bearer ${key}` } : undefined }),
    requestPolicy: 'cache-and-network',
  });
}
