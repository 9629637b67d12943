import type { CombinedError } from 'urql';

/** The first `extensions.code` among the error's GraphQL errors (UNAUTHENTICATED, FORBIDDEN…). */
export function errorCode(error: CombinedError | null | undefined): string | undefined {
  for (const graphQLError of error?.graphQLErrors ?? []) {
    const code = graphQLError.extensions?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** A failure as the console shows it: a short title and the server's own words. */
export interface DescribedError {
  title: string;
  message: string;
  code?: string;
}

const titles: Record<string, string> = {
  UNAUTHENTICATED: 'Your API key was refused',
  FORBIDDEN: 'Your API key may not do this',
  NOT_FOUND: 'Not found',
  BAD_USER_INPUT: 'The server refused the input',
  CONFLICT: 'This changed meanwhile',
  RATE_LIMITED: 'Too many requests',
  QUEUE_FULL: 'The queue is full',
  UNAVAILABLE: 'The server is unavailable',
};

/** Describes an urql error, an Error or a string for ErrorState and forms. */
export function describeError(error: CombinedError | Error | string): DescribedError {
  if (typeof error === 'string') return { title: 'Something went wrong', message: error };
  if ('graphQLErrors' in error) {
    if (error.networkError) {
      return { title: 'Could not reach the server', message: `${error.networkError.message}. The console retries by itself.` };
    }
    const code = errorCode(error);
    const message = error.graphQLErrors.map((graphQLError) => graphQLError.message).join('; ') || error.message;
    return { title: (code && titles[code]) || 'The server answered with an error', message, code };
  }
  return { title: 'Something went wrong', message: error.message };
}
