import { InvalidArgumentError } from 'commander';

/** Commander parser of an integer option within bounds (a bad value is a usage error, exit 2). */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return parsed;
  };
}

/** Commander parser of a repeatable `key=value` option, collected in order into an array. */
export function keyValueOption(value: string, previous: [string, string][] = []): [string, string][] {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`"${value}" is not key=value`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

/** Commander parser of a choice, case-insensitive, returned in upper case (`ios` → `IOS`). */
export function choiceOption(choices: string[]): (value: string) => string {
  return (value) => {
    const upper = value.toUpperCase();
    if (!choices.includes(upper))
      throw new InvalidArgumentError(`must be one of ${choices.map((choice) => choice.toLowerCase()).join(', ')}`);
    return upper;
  };
}
