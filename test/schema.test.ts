import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLNamedType } from 'graphql';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = readFileSync(`${root}/schema.graphql`, 'utf8');

it('schema.graphql is what the Pothos schema prints (run `pnpm generate` after changing the schema)', () => {
  const printed = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `
    import('./src/schema/print.ts').then(({ printedSchema }) => process.stdout.write(printedSchema()));
  `,
    ],
    { cwd: `${root}/server`, encoding: 'utf8' },
  );
  expect(printed).toBe(committed);
});

it('describes every type, field, argument and enum value for integrators', () => {
  const schema = buildSchema(committed);
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
    }
    if (isEnumType(type)) for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
  }
  expect(missing).toEqual([]);
});
