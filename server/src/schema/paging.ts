import { badInput } from '../errors.ts';

/** The Relay paging arguments of a connection field, as GraphQL hands them to its resolver. */
export interface PagingArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** How many items a connection gives: when neither `first` nor `last` is given, and at most. */
export interface PageSizes {
  defaultSize: number;
  maxSize: number;
}

/** The page sizes of `builds` and `workers` (Pothos' own defaults), for prismaConnection's options. */
export const LIST_PAGE_SIZES: PageSizes = { defaultSize: 20, maxSize: 100 };

/**
 * Checks a connection's paging arguments against the rule every connection here follows: a page is
 * taken forward (`first`, `after`) or backward (`last`, `before`), one way at a time, and
 * `first`/`last` are from 0 to `sizes.maxSize`. Returns the page's direction (backward when `last` or
 * `before` is given). Throws BAD_USER_INPUT, so a request Relay allows but we do not (both ways at once) is
 * refused rather than answered with a page that means something else.
 */
export function assertPagingArgs(args: PagingArgs, sizes: PageSizes): 'forward' | 'backward' {
  for (const name of ['first', 'last'] as const) {
    const size = args[name];
    if (size != null && !(Number.isInteger(size) && size >= 0 && size <= sizes.maxSize))
      throw badInput(`${name} must be an integer from 0 to ${sizes.maxSize}`);
  }
  const forward = args.first != null || args.after != null;
  const backward = args.last != null || args.before != null;
  if (forward && backward) throw badInput('Page forward with first and after, or backward with last and before, not both ways at once');
  return backward ? 'backward' : 'forward';
}
