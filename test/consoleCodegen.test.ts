import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, isObjectType } from 'graphql';
import { expect, it } from 'vitest';
import { embeddedTypes, singletonTypes } from '../web/src/graphql/cacheKeys.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const generatedDir = path.join(root, 'web', 'src', 'gql');

/** What graphql-codegen would write now (codegen.ts), without writing it: file name → content. */
function freshlyGenerated(): Record<string, string> {
  // The CLI and its preset live in the web package; it runs with the repository as its working
  // directory and NODE_PATH on the web package's modules, as `pnpm generate` runs its bin shim.
  const script = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    const cli = createRequire(${JSON.stringify(path.join(root, 'web', 'package.json'))}).resolve('@graphql-codegen/cli');
    const { generate } = await import(pathToFileURL(cli).href);
    const { default: config } = await import(${JSON.stringify(pathToFileUrl(path.join(root, 'codegen.ts')))});
    const files = await generate({ ...config, cwd: ${JSON.stringify(root)}, silent: true }, false);
    process.stdout.write(JSON.stringify(Object.fromEntries(files.map((file) => [file.filename, file.content]))));
  `;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NODE_PATH: path.join(root, 'web', 'node_modules') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as Record<string, string>;
}

function pathToFileUrl(file: string): string {
  return new URL(`file://${file}`).href;
}

it('web/src/gql is what graphql-codegen makes of schema.graphql and the console documents (run `pnpm generate`)', () => {
  const generated = freshlyGenerated();
  const expected = Object.fromEntries(
    Object.entries(generated).map(([file, content]) => [path.relative(generatedDir, path.resolve(root, file)), content]),
  );
  const committed = Object.fromEntries(
    readdirSync(generatedDir).map((file) => [file, readFileSync(path.join(generatedDir, file), 'utf8')]),
  );
  expect(Object.keys(committed).sort()).toEqual(Object.keys(expected).sort());
  for (const [file, content] of Object.entries(expected)) expect(committed[file], `web/src/gql/${file} is stale`).toBe(content);
});

it('every object type without an id is keyed in web/src/graphql/cacheKeys.ts, and only those', () => {
  const schema = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
  const withoutId = Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && !type.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(type.name))
    .filter((type) => isObjectType(type) && !type.getFields().id)
    .map((type) => type.name)
    .sort();
  expect([...embeddedTypes, ...singletonTypes].sort()).toEqual(withoutId);
});
