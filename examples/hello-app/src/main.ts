// hello-app: prints a greeting and what it was built as. `node app.js Ada fr`.
import { greet, type Language } from './greeting.ts';
import { buildInfo } from './version.ts';

const [name = 'world', language = 'en'] = process.argv.slice(2);
const info = buildInfo();
console.log(greet(name, language as Language));
console.log(`hello-app ${info.version} (${info.platform}, build ${info.buildId})`);
