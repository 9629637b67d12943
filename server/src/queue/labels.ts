import { badInput } from '../errors.ts';

/** At most this many labels on one build or one worker. */
export const MAX_LABELS = 32;
const MAX_LABEL_LENGTH = 100;
/** `key` or `key=value`: the key lower case, the value as given (case matters), no commas or control characters. */
const LABEL = /^([a-z0-9][a-z0-9._/-]{0,62})(=[^\s,\p{Cc}](?:[^,\p{Cc}]*[^\s,\p{Cc}])?)?$/u;

/**
 * Checks and normalises labels (build requirements or worker offers): each is trimmed, its key
 * lower-cased, and duplicates dropped; order is kept. A label is `key` or `key=value`; a key is
 * letters, digits, `.`, `_`, `-`, `/`, starting with a letter or digit, at most 63 characters;
 * a whole label is at most 100 characters. Matching is exact on the normalised text.
 * Returns the labels; throws BAD_USER_INPUT naming the first bad one.
 */
export function normaliseLabels(labels: readonly string[] | null | undefined, what: string): string[] {
  if (!labels) return [];
  if (labels.length > MAX_LABELS) throw badInput(`${what} may hold at most ${MAX_LABELS} labels`);
  const normalised = labels.map((label) => {
    const trimmed = label.trim();
    const equals = trimmed.indexOf('=');
    const text = equals < 0 ? trimmed.toLowerCase() : trimmed.slice(0, equals).toLowerCase() + trimmed.slice(equals);
    if (text.length > MAX_LABEL_LENGTH || !LABEL.test(text))
      throw badInput(
        `${what}: ${JSON.stringify(label.slice(0, 120))} is not a label: use key or key=value (key: a-z, 0-9, . _ - /; at most ${MAX_LABEL_LENGTH} characters, no commas)`,
      );
    return text;
  });
  return [...new Set(normalised)];
}
