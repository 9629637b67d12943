/** The sign-in page's URL: where to go once signed in. */
export interface SignInSearch {
  redirect?: string;
}

/** Keeps `redirect` only when it is a path of this site (never another origin: no open redirect). */
export function validateSignInSearch(search: Record<string, unknown>): SignInSearch {
  const redirect = search.redirect;
  const local = typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//') && !redirect.startsWith('/\\');
  return { redirect: local && !redirect.startsWith('/sign-in') ? redirect : undefined };
}
