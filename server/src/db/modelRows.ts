import type { Build } from '../generated/prisma/client.ts';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';
import { notFound } from '../errors.ts';
import { sql, type SqlClient } from './sql.ts';

/** Per model, its scalar fields, and which are BigInt (pg gives int8 as a string, JSON as a number) or DateTime. */
function scalarFields(model: string) {
  const fields = getDatamodel().datamodel.models[model].fields.filter((field) => field.kind !== 'object');
  const ofType = (type: string) => fields.filter((field) => field.type === type).map((field) => field.name);
  return { names: fields.map((field) => field.name), bigints: ofType('BigInt'), dates: ofType('DateTime') };
}

const BUILD_FIELDS = scalarFields('Build');

/**
 * A "Build" row read with `pg` (SELECT * or RETURNING *, possibly with more columns beside it) in
 * the shape Prisma gives, so a resolver can hand it to Pothos without reading the build again;
 * relations a selection asks for are then loaded by plugin-prisma's fallback, as for any parent.
 */
export function buildFromRow(row: Record<string, unknown>): Build {
  const build: Record<string, unknown> = {};
  for (const name of BUILD_FIELDS.names) build[name] = row[name];
  for (const name of BUILD_FIELDS.bigints) if (build[name] != null) build[name] = BigInt(build[name] as string | number);
  return build as Build;
}

/** A "Build" row as to_jsonb() gives it, in the shape Prisma gives. */
export function buildFromJson(json: Record<string, unknown>): Build {
  const build = buildFromRow(json) as unknown as Record<string, unknown>;
  for (const name of BUILD_FIELDS.dates) if (build[name] != null) build[name] = new Date(build[name] as string);
  return build as Build;
}

/** The build as Prisma would read it, through one prepared statement. */
export async function readBuild(db: SqlClient, id: string): Promise<Build> {
  const [row] = await db.query<Record<string, unknown>>(sql`SELECT * FROM "Build" WHERE id = ${id}::uuid`);
  if (!row) throw notFound('Build');
  return buildFromRow(row);
}
