import type { Build, Worker } from '../generated/prisma/client.ts';
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

/** A row as to_jsonb() gives it (times as ISO strings, int8 as numbers), in the shape Prisma gives. */
function modelFromJson(fields: ReturnType<typeof scalarFields>, json: Record<string, unknown>): Record<string, unknown> {
  const model: Record<string, unknown> = {};
  for (const name of fields.names) model[name] = json[name];
  for (const name of fields.bigints) if (model[name] != null) model[name] = BigInt(model[name] as string | number);
  for (const name of fields.dates) if (model[name] != null) model[name] = new Date(model[name] as string);
  return model;
}

/** A "Build" row as to_jsonb() gives it, in the shape Prisma gives. */
export const buildFromJson = (json: Record<string, unknown>) => modelFromJson(BUILD_FIELDS, json) as Build;

const WORKER_FIELDS = scalarFields('Worker');

/** A "Worker" row as to_jsonb() gives it, in the shape Prisma gives (webhook snapshots leave out its token hashes). */
export const workerFromJson = (json: Record<string, unknown>) => modelFromJson(WORKER_FIELDS, json) as Worker;

/** The build as Prisma would read it, through one prepared statement. */
export async function readBuild(db: SqlClient, id: string): Promise<Build> {
  const [row] = await db.query<Record<string, unknown>>(sql`SELECT * FROM "Build" WHERE id = ${id}::uuid`);
  if (!row) throw notFound('Build');
  return buildFromRow(row);
}
