// Bundles the agent and CLI into one file that runs with plain `node` (≥ 20.19) on a machine
// without this repository: dist/free-agent.mjs.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/free-agent.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  format: 'esm',
  // Bundled CommonJS packages call require() for Node's built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  // ws' optional native speed-ups are not installed; it falls back to JavaScript.
  external: ['bufferutil', 'utf-8-validate'],
  legalComments: 'none',
  logLevel: 'warning',
});
