import { badInput } from '../errors.ts';

/**
 * `text` as the operand of Prisma's `contains` that matches exactly that text: Prisma hands
 * `contains` to PostgreSQL's (I)LIKE as given, so `%`, `_` and the escape character `\` would
 * otherwise be wildcards (test/buildSearch.test.ts holds Prisma to that). Every literal text search
 * (BuildFilter.text, buildLogSearch) goes through here, with `mode: 'insensitive'` (ILIKE: case
 * folded as the database's locale folds it).
 */
export const literalLikePattern = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

/**
 * Text a client searches for, without surrounding white space (as BuildFilter.text), checked to be
 * 1 to `maxLength` characters. Returns the trimmed text; throws BAD_USER_INPUT naming `what`.
 */
export function assertSearchText(text: string, maxLength: number, what: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > maxLength)
    throw badInput(`${what} must be 1 to ${maxLength} characters (surrounding white space is ignored)`);
  return trimmed;
}
