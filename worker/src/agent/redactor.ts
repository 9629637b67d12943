/** What a redacted secret is replaced with in a log line. */
export const REDACTED = '[REDACTED]';

/** Secrets (and lines of multi-line secrets) shorter than this are not redacted: they would mask ordinary words. */
export const MIN_SECRET_LENGTH = 6;

const SECRET_NAME = /_(TOKEN|SECRET|PASSWORD|KEY)$/i;

/**
 * Values of environment variables named like secrets (`*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_KEY`,
 * any case) that are at least MIN_SECRET_LENGTH characters long.
 */
export function secretValuesFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value!);
}

/**
 * Replaces secrets in single lines of output. A multi-line secret (a PEM key) is redacted line by
 * line: each of its lines is a secret of its own, so it is masked however the build prints it
 * (consecutive lines, indented, or one line at a time). Pieces shorter than MIN_SECRET_LENGTH are
 * left alone.
 */
export class Redactor {
  private readonly pieces: string[];

  /** `secrets`: the values to mask (any order; duplicates and short ones are fine). */
  constructor(secrets: string[]) {
    const pieces = new Set<string>();
    for (const secret of secrets)
      for (const piece of secret.split(/\r?\n/)) if (piece.trim().length >= MIN_SECRET_LENGTH) pieces.add(piece.trim());
    // Longest first, so a secret that contains another is masked whole.
    this.pieces = [...pieces].sort((a, b) => b.length - a.length);
  }

  /** The longest piece's length: a partial line holding back this many characters cannot hide a split secret. */
  get longestSecret(): number {
    return this.pieces[0]?.length ?? 0;
  }

  /** `line` with every secret piece replaced by REDACTED. */
  redact(line: string): string {
    let result = line;
    for (const piece of this.pieces) if (result.includes(piece)) result = result.split(piece).join(REDACTED);
    return result;
  }
}
