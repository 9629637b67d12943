import { afterAll } from 'vitest';
import { stopAllAgents } from './agent.ts';
import { disposeAllWsClients } from './graphql.ts';
import { stopAllServers } from './server.ts';

// Runs before every test file (vitest `setupFiles`). Its afterAll runs after the file's own ones
// (hooks run as a stack), so it only finds what a test file forgot to close: it closes it, and a
// forgotten server or agent fails the file, since each file must close what it opens.
afterAll(async () => {
  await disposeAllWsClients();
  const leftAgents = await stopAllAgents();
  const leftServers = await stopAllServers();
  if (leftAgents > 0) {
    throw new Error(`${leftAgents} agent process(es) were still running after the tests; stop them in the test file`);
  }
  if (leftServers > 0) {
    throw new Error(`${leftServers} server process(es) were still running after the tests; stop them in the test file`);
  }
});
