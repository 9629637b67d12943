import { afterAll } from 'vitest';
import { disposeAllWsClients } from './graphql.ts';
import { stopAllServers } from './server.ts';

// Runs before every test file (vitest `setupFiles`). Its afterAll runs after the file's own ones
// (hooks run as a stack), so it only finds what a test file forgot to close: it closes it, and a
// forgotten server fails the file, since each file must close what it opens.
afterAll(async () => {
  await disposeAllWsClients();
  const leftServers = await stopAllServers();
  if (leftServers > 0) {
    throw new Error(`${leftServers} server process(es) were still running after the tests; stop them in the test file`);
  }
});
