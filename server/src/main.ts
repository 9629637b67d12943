import pino from 'pino';
import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config/config.ts';

const config = loadConfigOrExit();
const log = pino({ level: config.logLevel });
const app = buildApp(config, log);

try {
  const running = await app.start();
  log.info({ url: running.url }, 'listening');
  const lines = [`Free Agent is running: console ${running.url}/  GraphQL ${running.url}/graphql`];
  if (running.admin.generatedSecret) {
    lines.push(`Admin key (shown once${running.admin.secretFile ? `, saved in ${running.admin.secretFile}` : ''}):`);
    lines.push(`  ${running.admin.generatedSecret}`);
  }
  process.stderr.write(`\n${lines.join('\n')}\n\n`);
} catch (error) {
  log.fatal({ err: error }, 'could not start');
  process.stderr.write(`Free Agent could not start: ${(error as Error).message}\n`);
  await app.stop().catch(() => undefined);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
