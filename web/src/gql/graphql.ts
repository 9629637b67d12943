/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What an API key may do. */
export type ApiKeyRole =
  /** Everything. */
  | 'ADMIN'
  /** Submit, read, cancel and retry builds. */
  | 'SUBMITTER'
  /** Read everything an ADMIN reads (builds, logs, workers, statistics, the list of API keys) and change nothing: every mutation is FORBIDDEN. */
  | 'VIEWER'
  /** Register workers only. */
  | 'WORKER';

/** Where a build is in its lifecycle. */
export type BuildStatus =
  /** Claimed by a worker that has not started it yet. */
  | 'ASSIGNED'
  /** Running on its worker. */
  | 'BUILDING'
  /** Stopped on request before it finished. */
  | 'CANCELLED'
  /** Finished with a result artifact. */
  | 'COMPLETED'
  /** Finished without a result (failed, timed out or out of attempts). */
  | 'FAILED'
  /** Waiting in the queue for a worker. */
  | 'PENDING';

/** What kind of credential the caller used. */
export type CallerKind =
  /** An API key. */
  | 'API_KEY'
  /** A worker access token. */
  | 'WORKER';

/** The platform a build targets and a worker builds for. */
export type Platform =
  /** Android: built with the Android SDK. */
  | 'ANDROID'
  /** Apple iOS: built on macOS workers with Xcode. */
  | 'IOS';

/** What a worker is doing. */
export type WorkerStatus =
  /** Running as many builds as it may. */
  | 'BUILDING'
  /** Finishing what it runs and taking nothing new. */
  | 'DRAINING'
  /** Connected and free to take a build. */
  | 'IDLE'
  /** Not seen recently, shut down or revoked. */
  | 'OFFLINE';

export type DashboardQueueQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardQueueQuery = { queueStats: { finishedToday: number, builds: Array<{ status: BuildStatus, platform: Platform, count: number }>, workers: Array<{ status: WorkerStatus, count: number }> } };

export type DashboardQueueLiveSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardQueueLiveSubscription = { queueStats: { finishedToday: number, builds: Array<{ status: BuildStatus, platform: Platform, count: number }>, workers: Array<{ status: WorkerStatus, count: number }> } };

export type SignInCheckQueryVariables = Exact<{ [key: string]: never; }>;


export type SignInCheckQuery = { me: { kind: CallerKind, name: string, role: ApiKeyRole | null } };


export const DashboardQueueDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardQueue"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queueStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"finishedToday"}},{"kind":"Field","name":{"kind":"Name","value":"builds"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardQueueQuery, DashboardQueueQueryVariables>;
export const DashboardQueueLiveDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"DashboardQueueLive"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queueStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"finishedToday"}},{"kind":"Field","name":{"kind":"Name","value":"builds"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardQueueLiveSubscription, DashboardQueueLiveSubscriptionVariables>;
export const SignInCheckDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SignInCheck"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<SignInCheckQuery, SignInCheckQueryVariables>;