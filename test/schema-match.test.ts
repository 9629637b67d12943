// The migrations under prisma/migrations are written by hand (Prisma's schema engine cannot run
// here), so this test proves they build the database schema.prisma describes. The expectation is
// derived from schema.prisma through Prisma's own parser (getDMMF, the wasm build that
// `prisma generate` uses), following the conventions `prisma migrate dev` uses for PostgreSQL.
// Both sides are rendered as one line per table, column, index, key and enum, so a failure lists
// exactly the lines that differ.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDMMF } from '@prisma/get-dmmf';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

const prismaDir = fileURLToPath(new URL('../prisma', import.meta.url));

type Document = Exclude<ReturnType<typeof getDMMF>, { type: string }>;
type Datamodel = Document['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];
type Index = Datamodel['indexes'][number];

// PostgreSQL truncates identifiers to 63 bytes; Prisma shortens generated names to fit.
const MAX_IDENTIFIER_LENGTH = 63;

// format_type() spelling of Prisma's scalar types without a native type attribute.
const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

// format_type() spelling of Prisma's PostgreSQL native types (@db.X(args)).
const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  VarChar: (args) => (args.length ? `character varying(${args[0]})` : 'character varying'),
  Char: (args) => `character(${args[0] ?? 1})`,
  Uuid: () => 'uuid',
  Citext: () => 'citext',
  Inet: () => 'inet',
  Xml: () => 'xml',
  SmallInt: () => 'smallint',
  Integer: () => 'integer',
  BigInt: () => 'bigint',
  Oid: () => 'oid',
  Real: () => 'real',
  DoublePrecision: () => 'double precision',
  Decimal: (args) => (args.length ? `numeric(${args.join(',')})` : 'numeric'),
  Money: () => 'money',
  Boolean: () => 'boolean',
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
  Bit: (args) => `bit(${args[0] ?? 1})`,
  VarBit: (args) => (args.length ? `bit varying(${args[0]})` : 'bit varying'),
  Date: () => 'date',
  Timestamp: (args) => `timestamp(${args[0] ?? 3}) without time zone`,
  Timestamptz: (args) => `timestamp(${args[0] ?? 3}) with time zone`,
  Time: (args) => `time(${args[0] ?? 3}) without time zone`,
  Timetz: (args) => `time(${args[0] ?? 3}) with time zone`,
};

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/**
 * The WHERE of each partial index (`@@index([…], where: raw("…"))`, or `@@unique`), by model and fields: Prisma's
 * DMMF does not carry it, so it is read from the schema text. The predicate is written as
 * PostgreSQL prints it back (pg_get_expr), so the two compare as text.
 */
function indexPredicates(schemaText: string): Map<string, string> {
  const predicates = new Map<string, string>();
  for (const model of schemaText.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    for (const index of model[2]!.matchAll(/@@(?:index|unique)\(\[([^\]]*)\][^\n]*?where:\s*raw\("((?:[^"\\]|\\.)*)"\)/g)) {
      const fields = index[1]!.split(',').map((field) => field.trim().replace(/\(.*$/, ''));
      predicates.set(`${model[1]}(${fields.join(', ')})`, index[2]!.replaceAll('\\"', '"'));
    }
  }
  return predicates;
}

/** The lines the database must have, derived from schema.prisma. */
function expectedSchema(datamodel: Datamodel, predicates: Map<string, string>): string[] {
  const lines: string[] = [];
  const modelsByName = new Map(datamodel.models.map((model) => [model.name, model]));
  const tableOf = (model: Model) => model.dbName ?? model.name;
  const columnOf = (model: Model, fieldName: string) => {
    const field = model.fields.find((candidate) => candidate.name === fieldName);
    if (!field) throw new Error(`${model.name} has no field ${fieldName}`);
    return field.dbName ?? field.name;
  };
  const enumTypes = new Map(datamodel.enums.map((enumType) => [enumType.name, enumType.dbName ?? enumType.name]));

  for (const enumType of datamodel.enums) {
    const values = enumType.values.map((value) => value.dbName ?? value.name);
    lines.push(`enum ${enumType.dbName ?? enumType.name} (${values.join(', ')})`);
  }

  for (const model of datamodel.models) {
    const table = tableOf(model);
    lines.push(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (!field.relationFromFields?.length) {
          const other = modelsByName.get(field.type)!.fields.find((f) => f.relationName === field.relationName && f !== field);
          if (field.isList && other?.isList) lines.push(`unsupported: implicit many-to-many relation ${model.name}.${field.name}`);
          continue;
        }
        const target = modelsByName.get(field.type)!;
        const columns = field.relationFromFields.map((name) => columnOf(model, name));
        const referenced = (field.relationToFields ?? []).map((name) => columnOf(target, name));
        const optional = field.relationFromFields.some((name) => !model.fields.find((f) => f.name === name)!.isRequired);
        const onDelete = field.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict');
        const onUpdate = (field as { relationOnUpdate?: string }).relationOnUpdate ?? 'Cascade';
        lines.push(
          `foreign key ${constraintName(table, columns, 'fkey')} on ${table} (${columns.join(', ')}) ` +
            `references ${tableOf(target)} (${referenced.join(', ')}) ` +
            `on delete ${REFERENTIAL_ACTIONS[onDelete]} on update ${REFERENTIAL_ACTIONS[onUpdate]}`,
        );
        continue;
      }
      if (field.kind !== 'scalar' && field.kind !== 'enum') continue;
      const column = field.dbName ?? field.name;
      const type = columnType(field, enumTypes);
      // Prisma creates scalar lists as nullable columns even though the field is required.
      const notNull = field.isRequired && !field.isList ? ' NOT NULL' : '';
      const defaultValue = expectedDefault(table, column, field, type);
      lines.push(`column ${table}.${column} ${type}${notNull}${defaultValue === undefined ? '' : ` DEFAULT ${defaultValue}`}`);
    }
  }

  for (const index of datamodel.indexes) {
    const model = modelsByName.get(index.model)!;
    const table = tableOf(model);
    const columnNames = index.fields.map((field) => columnOf(model, field.name));
    const columns = index.fields.map((field, position) => {
      if (field.length !== undefined || field.operatorClass !== undefined) {
        return `${columnNames[position]} (length/operator class: not checked by this test)`;
      }
      return `${columnNames[position]}${field.sortOrder === 'desc' ? ' DESC' : ''}`;
    });
    const method = (index.algorithm ?? 'BTree').toLowerCase();
    const predicate = predicates.get(`${index.model}(${index.fields.map((field) => field.name).join(', ')})`);
    if (index.type === 'id') {
      lines.push(`primary key ${index.dbName ?? `${table}_pkey`} on ${table} (${columns.join(', ')})`);
    } else if (index.type === 'unique') {
      lines.push(
        `unique index ${index.dbName ?? constraintName(table, columnNames, 'key')} on ${table} using ${method} (${columns.join(', ')})${predicate ? ` WHERE ${predicate}` : ''}`,
      );
    } else if (index.type === 'normal') {
      lines.push(
        `index ${index.dbName ?? constraintName(table, columnNames, 'idx')} on ${table} using ${method} (${columns.join(', ')})${predicate ? ` WHERE ${predicate}` : ''}`,
      );
    } else {
      lines.push(`unsupported: ${index.type} index on ${table} (${columns.join(', ')})`);
    }
  }
  return lines.sort();
}

function columnType(field: Field, enumTypes: Map<string, string>): string {
  let type: string;
  if (field.kind === 'enum') {
    type = quoteIdentifier(enumTypes.get(field.type) ?? field.type);
  } else if (field.nativeType) {
    const [name, args] = field.nativeType as [string, string[]];
    const render = NATIVE_TYPES[name];
    if (!render) throw new Error(`no PostgreSQL type known for @db.${name} (field ${field.name}); add it to NATIVE_TYPES`);
    type = render(args);
  } else {
    type = SCALAR_TYPES[field.type] ?? '';
    if (!type) throw new Error(`no PostgreSQL type known for ${field.type} (field ${field.name}); add it to SCALAR_TYPES`);
  }
  return field.isList ? `${type}[]` : type;
}

/** The default as pg_get_expr() prints it, or undefined when Prisma sets no database default. */
function expectedDefault(table: string, column: string, field: Field, type: string): string | undefined {
  if (!field.hasDefaultValue || field.default === undefined) return undefined;
  const value = field.default as unknown;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'name' in value) {
    const { name, args } = value as { name: string; args: unknown[] };
    switch (name) {
      case 'autoincrement':
        return `nextval('${quoteIdentifier(`${table}_${column}_seq`)}'::regclass)`;
      case 'now':
        return 'CURRENT_TIMESTAMP';
      case 'dbgenerated':
        return String(args[0]);
      case 'uuid':
      case 'cuid':
      case 'nanoid':
      case 'ulid':
        return undefined; // generated by Prisma Client, not by the database
      default:
        throw new Error(`no database default known for @default(${name}()) on ${table}.${column}`);
    }
  }
  if (Array.isArray(value)) {
    return `ARRAY[${value.map((item) => literal(item, field, type.replace(/\[\]$/, ''))).join(', ')}]::${type}`;
  }
  return literal(value, field, type);
}

/** A literal default as pg_get_expr() prints it. */
function literal(value: unknown, field: Field, type: string): string {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    // Non-negative integers print bare; negative numbers and non-integer types print as 'x'::type.
    const isPlainInteger = Number.isInteger(Number(value)) && Number(value) >= 0 && Number(value) <= 2_147_483_647;
    return isPlainInteger && (type === 'integer' || type === 'bigint' || type === 'smallint')
      ? String(value)
      : `'${String(value)}'::${type}`;
  }
  if (typeof value === 'string') {
    if (field.kind === 'scalar' && (field.type === 'Int' || field.type === 'BigInt')) return literal(Number(value), field, type);
    return `'${value.replaceAll("'", "''")}'::${type}`;
  }
  throw new Error(`no database default known for ${JSON.stringify(value)} on ${field.name}`);
}

/** Prisma's default constraint name: Table_col1_col2_suffix, shortened to fit 63 bytes. */
function constraintName(table: string, columns: string[], suffix: string): string {
  const base = `${table}_${columns.join('_')}`;
  const limit = MAX_IDENTIFIER_LENGTH - suffix.length - 1;
  return `${base.length > limit ? base.slice(0, limit) : base}_${suffix}`;
}

function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

// The migrator's own bookkeeping (server/src/db/migrate.ts), not part of schema.prisma.
const MIGRATOR_TABLES = `'_prisma_migrations', '_free_agent_definitions'`;

/** The same lines, read from the catalog of the migrated database. */
async function actualSchema(client: pg.Client): Promise<string[]> {
  const lines: string[] = [];
  const enums = await client.query<{ name: string; labels: string[] }>(`
    SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' GROUP BY t.typname`);
  for (const row of enums.rows) lines.push(`enum ${row.name} (${row.labels.join(', ')})`);

  const tables = await client.query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN (${MIGRATOR_TABLES})`);
  for (const row of tables.rows) lines.push(`table ${row.name}`);

  const columns = await client.query<{ table: string; column: string; type: string; not_null: boolean; default: string | null }>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN (${MIGRATOR_TABLES})
      AND a.attnum > 0 AND NOT a.attisdropped`);
  for (const row of columns.rows) {
    lines.push(
      `column ${row.table}.${row.column} ${row.type}${row.not_null ? ' NOT NULL' : ''}${row.default === null ? '' : ` DEFAULT ${row.default}`}`,
    );
  }

  const indexes = await client.query<{
    table: string;
    name: string;
    is_primary: boolean;
    is_unique: boolean;
    method: string;
    columns: string[];
    options: number[];
    predicate: string | null;
  }>(`
    SELECT t.relname AS table, i.relname AS name, x.indisprimary AS is_primary, x.indisunique AS is_unique,
           am.amname AS method,
           array(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS columns,
           string_to_array(x.indoption::text, ' ')::int[] AS options,
           pg_get_expr(x.indpred, x.indrelid) AS predicate
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_am am ON am.oid = i.relam
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND t.relname NOT IN (${MIGRATOR_TABLES})`);
  for (const row of indexes.rows) {
    const columnList = row.columns.map((column, position) => {
      const option = row.options[position] ?? 0;
      const descending = (option & 1) !== 0;
      const nullsFirst = (option & 2) !== 0;
      // Only the non-default null ordering is shown: ASC implies NULLS LAST, DESC NULLS FIRST.
      const nulls = nullsFirst !== descending ? (nullsFirst ? ' NULLS FIRST' : ' NULLS LAST') : '';
      return `${unquote(column)}${descending ? ' DESC' : ''}${nulls}`;
    });
    const where = row.predicate ? ` WHERE ${row.predicate}` : '';
    if (row.is_primary) lines.push(`primary key ${row.name} on ${row.table} (${columnList.join(', ')})${where}`);
    else
      lines.push(
        `${row.is_unique ? 'unique index' : 'index'} ${row.name} on ${row.table} using ${row.method} (${columnList.join(', ')})${where}`,
      );
  }

  const foreignKeys = await client.query<{
    name: string;
    table: string;
    columns: string[];
    target: string;
    target_columns: string[];
    on_delete: string;
    on_update: string;
  }>(`
    SELECT con.conname AS name, t.relname AS table, f.relname AS target,
           array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.position) AS columns,
           array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, position)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.position) AS target_columns,
           con.confdeltype AS on_delete, con.confupdtype AS on_update
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class f ON f.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND con.contype = 'f'`);
  const actions: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
  for (const row of foreignKeys.rows) {
    lines.push(
      `foreign key ${row.name} on ${row.table} (${row.columns.join(', ')}) references ${row.target} (${row.target_columns.join(', ')}) ` +
        `on delete ${actions[row.on_delete]} on update ${actions[row.on_update]}`,
    );
  }
  return lines.sort();
}

/** pg_get_indexdef quotes mixed-case column names; the expected lines use bare names. */
function unquote(identifier: string): string {
  return /^"[^"]*"$/.test(identifier) ? identifier.slice(1, -1) : identifier;
}

describe('the migrated database', () => {
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  test('matches schema.prisma: tables, columns, types, nullability, defaults, keys, indexes, enums', async () => {
    const schemaText = await readFile(path.join(prismaDir, 'schema.prisma'), 'utf8');
    const dmmf = getDMMF({ datamodel: schemaText });
    if ('type' in dmmf) throw new Error(`schema.prisma does not parse: ${dmmf.reason}`);
    const predicates = indexPredicates(schemaText);
    // Guard against the parser above finding nothing by mistake.
    expect(predicates.size).toBeGreaterThan(0);
    const expected = expectedSchema(dmmf.datamodel, predicates);
    const actual = await actualSchema(client);

    const actualSet = new Set(actual);
    const expectedSet = new Set(expected);
    const differences = [
      ...expected.filter((line) => !actualSet.has(line)).map((line) => `schema.prisma has, database lacks: ${line}`),
      ...actual.filter((line) => !expectedSet.has(line)).map((line) => `database has, schema.prisma lacks: ${line}`),
    ];
    expect(differences.length, `the migrations and schema.prisma differ:\n${differences.join('\n')}\n`).toBe(0);
    // Guard against both sides being empty by mistake.
    expect(expected.length).toBeGreaterThan(50);
  });

  test('_prisma_migrations has one finished row per migration directory, with its checksum', async () => {
    const migrationsDir = path.join(prismaDir, 'migrations');
    const directories = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const onDisk = await Promise.all(
      directories.map(async (name) => ({
        name,
        checksum: createHash('sha256')
          .update(await readFile(path.join(migrationsDir, name, 'migration.sql')))
          .digest('hex'),
      })),
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(`
      SELECT migration_name AS name, checksum FROM "_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`);
    expect(directories.length).toBeGreaterThan(0);
    expect(rows).toEqual(onDisk);
  });

  // Planner settings change plans, not results, so no behaviour test would notice them gone: with
  // jit on, PostgreSQL servers built with LLVM compiled every claim batch (~100 ms each).
  test('the claim function runs with its planner settings: index walk in order, no JIT', async () => {
    const { rows } = await client.query<{ settings: string[] }>(`SELECT proconfig AS settings FROM pg_proc WHERE proname = 'claimBuilds'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.settings.sort()).toEqual(['enable_bitmapscan=off', 'enable_sort=off', 'jit=off']);
  });
});
