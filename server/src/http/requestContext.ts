import { AsyncLocalStorage } from 'node:async_hooks';

/** The id of the HTTP request being served, for log lines written deep inside it. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export const currentRequestId = () => requestContext.getStore()?.requestId;
