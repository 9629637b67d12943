/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
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

export type OverviewQueryVariables = Exact<{ [key: string]: never; }>;


export type OverviewQuery = { queueStats: { finishedToday: number, builds: Array<{ status: BuildStatus, platform: Platform, count: number }>, workers: Array<{ status: WorkerStatus, count: number }> }, builds: { edges: Array<{ node: { id: string, platform: Platform, status: BuildStatus, progress: number, submittedAt: string, metadata: unknown, worker: { name: string } | null } }> } };


export const OverviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Overview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queueStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"builds"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"finishedToday"}}]}},{"kind":"Field","name":{"kind":"Name","value":"builds"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"metadata"}},{"kind":"Field","name":{"kind":"Name","value":"worker"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<OverviewQuery, OverviewQueryVariables>;