// How graphcache keys the schema's object types that have no `id`. A test
// (test/consoleCodegen.test.ts) checks every such type of schema.graphql is listed here, so a new
// one is decided on rather than warned about at run time.

/** Types stored inside the object that holds them (pages, edges, payloads, events, counts). */
export const embeddedTypes = [
  'AppendBuildLogsPayload',
  'BuildCount',
  'BuildHistoryBucket',
  'BuildLog',
  'BuildLogAppendedEvent',
  'BuildLogSearchConnection',
  'BuildLogSearchEdge',
  'BuildTelemetry',
  'BuildTelemetryRecordedEvent',
  'BuildUpdatedEvent',
  'CreateApiKeyPayload',
  'CreateWebhookPayload',
  'DiagnosticCheck',
  'HeartbeatPayload',
  'HttpHeader',
  'JobAvailable',
  'Me',
  'PageInfo',
  'Percentiles',
  'QueryBuildLogsConnection',
  'QueryBuildLogsConnectionEdge',
  'QueryBuildsConnection',
  'QueryBuildsConnectionEdge',
  'QueryWorkersConnection',
  'QueryWorkersConnectionEdge',
  'RecordBuildTelemetryPayload',
  'RegisterWorkerPayload',
  'RotateWebhookSecretPayload',
  'UploadPartTicket',
  'WebhookDeliveriesConnection',
  'WebhookDeliveriesConnectionEdge',
  'WorkerCount',
  'WorkerEvent',
  'WorkerUpdatedEvent',
];

/**
 * Types with one instance, keyed by their name: `Query.queueStats` and the `queueStats`
 * subscription then write the same entity, so a pushed value updates every query showing it.
 */
export const singletonTypes = ['QueueStats'];
