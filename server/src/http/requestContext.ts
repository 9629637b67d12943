import { AsyncLocalStorage } from 'node:async_hooks';

/** What a request carries through everything it calls: its id, and how many database operations it made. */
export interface RequestState {
  requestId: string;
  databaseOperations: number;
}

export const requestContext = new AsyncLocalStorage<RequestState>();

export const currentRequestId = () => requestContext.getStore()?.requestId;
