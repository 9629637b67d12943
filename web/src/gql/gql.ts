/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation BuildPageCancel($id: ID!, $reason: String) {\n    cancelBuild(id: $id, reason: $reason) {\n      id\n      status\n      cancelRequestedAt\n      finishedAt\n    }\n  }\n": typeof types.BuildPageCancelDocument,
    "\n  mutation BuildPageRetry($id: ID!) {\n    retryBuild(id: $id) {\n      id\n      status\n    }\n  }\n": typeof types.BuildPageRetryDocument,
    "\n  fragment BuildPageFields on Build {\n    id\n    status\n    platform\n    priority\n    progress\n    attempt\n    maxAttempts\n    metadata\n    requiredLabels\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    cancelRequestedAt\n    lastHeartbeatAt\n    timeoutSeconds\n    errorMessage\n    hasCerts\n    sourceSize\n    sourceSha256\n    resultSize\n    resultSha256\n    resultUrl\n    logLineCount\n    queuePosition\n    eligibleWorkers\n    unofferedLabels\n    retryOf {\n      id\n    }\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n      status\n    }\n    events {\n      id\n      at\n      fromStatus\n      toStatus\n      actor\n      reason\n    }\n  }\n": typeof types.BuildPageFieldsFragmentDoc,
    "\n  query BuildPage($id: ID!) {\n    build(id: $id) {\n      ...BuildPageFields\n    }\n  }\n": typeof types.BuildPageDocument,
    "\n  subscription BuildPageLive($id: ID!) {\n    buildUpdated(id: $id) {\n      buildId\n      status\n      build {\n        ...BuildPageFields\n      }\n    }\n  }\n": typeof types.BuildPageLiveDocument,
    "\n  query BuildTelemetry($id: ID!, $first: Int!) {\n    build(id: $id) {\n      id\n      telemetry(first: $first) {\n        at\n        kind\n        data\n      }\n    }\n  }\n": typeof types.BuildTelemetryDocument,
    "\n  subscription BuildTelemetryLive($id: ID!) {\n    buildTelemetryRecorded(buildId: $id) {\n      buildId\n      events {\n        at\n        kind\n        data\n      }\n    }\n  }\n": typeof types.BuildTelemetryLiveDocument,
    "\n  query BuildWait($id: ID!) {\n    build(id: $id) {\n      id\n      queuePosition\n      eligibleWorkers\n      unofferedLabels\n    }\n  }\n": typeof types.BuildWaitDocument,
    "\n  subscription BuildWaitQueueChanged {\n    queueStats {\n      oldestPendingSubmittedAt\n    }\n  }\n": typeof types.BuildWaitQueueChangedDocument,
    "\n  query BuildLogPage($buildId: ID!, $attempt: Int, $first: Int, $afterSeq: Int, $last: Int, $before: String) {\n    buildLogs(buildId: $buildId, attempt: $attempt, first: $first, afterSeq: $afterSeq, last: $last, before: $before) {\n      edges {\n        node {\n          seq\n          at\n          level\n          message\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": typeof types.BuildLogPageDocument,
    "\n  subscription BuildLogLive($buildId: ID!) {\n    buildLogAppended(buildId: $buildId) {\n      attempt\n      nextSeq\n      lines {\n        seq\n        at\n        level\n        message\n      }\n    }\n  }\n": typeof types.BuildLogLiveDocument,
    "\n  query BuildLogSearchPage($buildId: ID!, $attempt: Int, $query: String!, $first: Int, $after: String) {\n    buildLogSearch(buildId: $buildId, attempt: $attempt, query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          seq\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": typeof types.BuildLogSearchPageDocument,
    "\n  query BuildsFilterWorkers {\n    workers(first: 200) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.BuildsFilterWorkersDocument,
    "\n  query BuildsPage($filter: BuildFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    builds(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...BuildsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.BuildsPageDocument,
    "\n  subscription BuildsPageLive {\n    buildUpdated {\n      buildId\n      status\n      build {\n        ...BuildsRow\n      }\n    }\n  }\n": typeof types.BuildsPageLiveDocument,
    "\n  fragment BuildsRow on Build {\n    id\n    status\n    platform\n    metadata\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    attempt\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n    }\n  }\n": typeof types.BuildsRowFragmentDoc,
    "\n  mutation BuildsCancel($id: ID!) {\n    cancelBuild(id: $id, reason: \"Cancelled from the console's builds table\") {\n      ...BuildsRow\n      cancelRequestedAt\n    }\n  }\n": typeof types.BuildsCancelDocument,
    "\n  mutation BuildsRetry($id: ID!) {\n    retryBuild(id: $id) {\n      ...BuildsRow\n    }\n  }\n": typeof types.BuildsRetryDocument,
    "\n  fragment DashboardQueueStats on QueueStats {\n    finishedToday\n    builds {\n      status\n      platform\n      count\n    }\n    finishedTodayByStatus {\n      status\n      platform\n      count\n    }\n    workers {\n      status\n      count\n    }\n    queueWaitSeconds {\n      p50\n      p95\n      p99\n    }\n    buildDurationSeconds {\n      p50\n      p95\n      p99\n    }\n    oldestPendingSubmittedAt\n  }\n": typeof types.DashboardQueueStatsFragmentDoc,
    "\n  query DashboardQueue {\n    queueStats {\n      ...DashboardQueueStats\n    }\n    builds(first: 1) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": typeof types.DashboardQueueDocument,
    "\n  subscription DashboardQueueLive {\n    queueStats {\n      ...DashboardQueueStats\n    }\n  }\n": typeof types.DashboardQueueLiveDocument,
    "\n  query DashboardHistory($hours: Int!, $bucketMinutes: Int!) {\n    buildHistory(hours: $hours, bucketMinutes: $bucketMinutes) {\n      at\n      completed\n      failed\n      cancelled\n      claimed\n      queueWaitSeconds {\n        p50\n        p95\n      }\n    }\n  }\n": typeof types.DashboardHistoryDocument,
    "\n  mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  query KeysList($includeRevoked: Boolean) {\n    apiKeys(includeRevoked: $includeRevoked) {\n      id\n      name\n      role\n      createdAt\n      lastUsedAt\n      revokedAt\n    }\n  }\n": typeof types.KeysListDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": typeof types.RevokeApiKeyDocument,
    "\n  mutation SubmitCreateUpload($input: CreateUploadInput!) {\n    createUpload(input: $input) {\n      id\n      url\n      headers {\n        name\n        value\n      }\n      partSize\n      partCount\n    }\n  }\n": typeof types.SubmitCreateUploadDocument,
    "\n  mutation SubmitCreateUploadParts($uploadId: ID!, $parts: [UploadPartInput!]!) {\n    createUploadParts(uploadId: $uploadId, parts: $parts) {\n      number\n      url\n      headers {\n        name\n        value\n      }\n    }\n  }\n": typeof types.SubmitCreateUploadPartsDocument,
    "\n  mutation SubmitCompleteUpload($uploadId: ID!, $parts: [UploadedPartInput!]) {\n    completeUpload(uploadId: $uploadId, parts: $parts) {\n      id\n    }\n  }\n": typeof types.SubmitCompleteUploadDocument,
    "\n  mutation SubmitBuild($input: SubmitBuildInput!) {\n    submitBuild(input: $input) {\n      id\n      status\n      platform\n    }\n  }\n": typeof types.SubmitBuildDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        ...WebhooksRow\n      }\n    }\n  }\n": typeof types.CreateWebhookDocument,
    "\n  fragment WebhookDeliveryRow on WebhookDelivery {\n    id\n    event\n    status\n    attempts\n    responseStatus\n    latencyMs\n    error\n    createdAt\n    nextAttemptAt\n    deliveredAt\n    payload\n  }\n": typeof types.WebhookDeliveryRowFragmentDoc,
    "\n  query WebhookDeliveries($id: ID!, $status: [WebhookDeliveryStatus!], $first: Int, $after: String, $last: Int, $before: String) {\n    webhook(id: $id) {\n      id\n      deliveries(status: $status, first: $first, after: $after, last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...WebhookDeliveryRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          hasPreviousPage\n          startCursor\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.WebhookDeliveriesDocument,
    "\n  subscription WebhookDeliveriesLive {\n    queueStats {\n      finishedToday\n    }\n  }\n": typeof types.WebhookDeliveriesLiveDocument,
    "\n  mutation RedeliverWebhookDelivery($id: ID!) {\n    redeliverWebhookDelivery(id: $id) {\n      ...WebhookDeliveryRow\n    }\n  }\n": typeof types.RedeliverWebhookDeliveryDocument,
    "\n  fragment WebhookDetailFields on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n    updatedAt\n    createdBy {\n      id\n      name\n    }\n  }\n": typeof types.WebhookDetailFieldsFragmentDoc,
    "\n  query WebhookDetail($id: ID!) {\n    webhook(id: $id) {\n      ...WebhookDetailFields\n    }\n  }\n": typeof types.WebhookDetailDocument,
    "\n  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {\n    updateWebhook(id: $id, input: $input) {\n      ...WebhookDetailFields\n    }\n  }\n": typeof types.UpdateWebhookDocument,
    "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n      webhook {\n        ...WebhookDetailFields\n      }\n    }\n  }\n": typeof types.RotateWebhookSecretDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id) {\n      id\n    }\n  }\n": typeof types.DeleteWebhookDocument,
    "\n  fragment WebhooksRow on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n  }\n": typeof types.WebhooksRowFragmentDoc,
    "\n  query WebhooksList {\n    webhooks {\n      ...WebhooksRow\n    }\n  }\n": typeof types.WebhooksListDocument,
    "\n  query WorkerDetail($id: ID!) {\n    worker(id: $id) {\n      ...WorkerDetailFields\n    }\n  }\n": typeof types.WorkerDetailDocument,
    "\n  subscription WorkerDetailLive($id: ID!) {\n    workerUpdated(id: $id) {\n      workerId\n      worker {\n        ...WorkerDetailFields\n      }\n    }\n  }\n": typeof types.WorkerDetailLiveDocument,
    "\n  query WorkerRecentBuilds($workerId: ID!) {\n    builds(first: 20, filter: { workerId: $workerId }) {\n      edges {\n        node {\n          id\n          status\n          platform\n          metadata\n          attempt\n          submittedAt\n          finishedAt\n        }\n      }\n    }\n  }\n": typeof types.WorkerRecentBuildsDocument,
    "\n  subscription WorkerBuildsLive {\n    buildUpdated {\n      buildId\n      status\n    }\n  }\n": typeof types.WorkerBuildsLiveDocument,
    "\n  fragment WorkerDetailFields on Worker {\n    ...WorkerRowFields\n    maxConcurrentBuilds\n    registeredAt\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n      system\n      checks {\n        name\n        status\n        message\n      }\n    }\n  }\n": typeof types.WorkerDetailFieldsFragmentDoc,
    "\n  mutation DrainWorker($id: ID!) {\n    drainWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": typeof types.DrainWorkerDocument,
    "\n  mutation ResumeWorker($id: ID!) {\n    resumeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": typeof types.ResumeWorkerDocument,
    "\n  mutation RevokeWorker($id: ID!) {\n    revokeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": typeof types.RevokeWorkerDocument,
    "\n  query WorkersList($includeRevoked: Boolean) {\n    workers(first: 100, filter: { includeRevoked: $includeRevoked }) {\n      edges {\n        node {\n          ...WorkerRowFields\n        }\n      }\n    }\n  }\n": typeof types.WorkersListDocument,
    "\n  subscription WorkersLive {\n    workerUpdated {\n      workerId\n      worker {\n        ...WorkerRowFields\n      }\n    }\n  }\n": typeof types.WorkersLiveDocument,
    "\n  fragment WorkerRowFields on Worker {\n    id\n    name\n    status\n    platforms\n    labels\n    version\n    lastSeenAt\n    revokedAt\n    buildsCompleted\n    buildsFailed\n    currentBuilds {\n      id\n      status\n    }\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n    }\n  }\n": typeof types.WorkerRowFieldsFragmentDoc,
    "\n  query SignInCheck {\n    me {\n      kind\n      name\n      role\n    }\n  }\n": typeof types.SignInCheckDocument,
};
const documents: Documents = {
    "\n  mutation BuildPageCancel($id: ID!, $reason: String) {\n    cancelBuild(id: $id, reason: $reason) {\n      id\n      status\n      cancelRequestedAt\n      finishedAt\n    }\n  }\n": types.BuildPageCancelDocument,
    "\n  mutation BuildPageRetry($id: ID!) {\n    retryBuild(id: $id) {\n      id\n      status\n    }\n  }\n": types.BuildPageRetryDocument,
    "\n  fragment BuildPageFields on Build {\n    id\n    status\n    platform\n    priority\n    progress\n    attempt\n    maxAttempts\n    metadata\n    requiredLabels\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    cancelRequestedAt\n    lastHeartbeatAt\n    timeoutSeconds\n    errorMessage\n    hasCerts\n    sourceSize\n    sourceSha256\n    resultSize\n    resultSha256\n    resultUrl\n    logLineCount\n    queuePosition\n    eligibleWorkers\n    unofferedLabels\n    retryOf {\n      id\n    }\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n      status\n    }\n    events {\n      id\n      at\n      fromStatus\n      toStatus\n      actor\n      reason\n    }\n  }\n": types.BuildPageFieldsFragmentDoc,
    "\n  query BuildPage($id: ID!) {\n    build(id: $id) {\n      ...BuildPageFields\n    }\n  }\n": types.BuildPageDocument,
    "\n  subscription BuildPageLive($id: ID!) {\n    buildUpdated(id: $id) {\n      buildId\n      status\n      build {\n        ...BuildPageFields\n      }\n    }\n  }\n": types.BuildPageLiveDocument,
    "\n  query BuildTelemetry($id: ID!, $first: Int!) {\n    build(id: $id) {\n      id\n      telemetry(first: $first) {\n        at\n        kind\n        data\n      }\n    }\n  }\n": types.BuildTelemetryDocument,
    "\n  subscription BuildTelemetryLive($id: ID!) {\n    buildTelemetryRecorded(buildId: $id) {\n      buildId\n      events {\n        at\n        kind\n        data\n      }\n    }\n  }\n": types.BuildTelemetryLiveDocument,
    "\n  query BuildWait($id: ID!) {\n    build(id: $id) {\n      id\n      queuePosition\n      eligibleWorkers\n      unofferedLabels\n    }\n  }\n": types.BuildWaitDocument,
    "\n  subscription BuildWaitQueueChanged {\n    queueStats {\n      oldestPendingSubmittedAt\n    }\n  }\n": types.BuildWaitQueueChangedDocument,
    "\n  query BuildLogPage($buildId: ID!, $attempt: Int, $first: Int, $afterSeq: Int, $last: Int, $before: String) {\n    buildLogs(buildId: $buildId, attempt: $attempt, first: $first, afterSeq: $afterSeq, last: $last, before: $before) {\n      edges {\n        node {\n          seq\n          at\n          level\n          message\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": types.BuildLogPageDocument,
    "\n  subscription BuildLogLive($buildId: ID!) {\n    buildLogAppended(buildId: $buildId) {\n      attempt\n      nextSeq\n      lines {\n        seq\n        at\n        level\n        message\n      }\n    }\n  }\n": types.BuildLogLiveDocument,
    "\n  query BuildLogSearchPage($buildId: ID!, $attempt: Int, $query: String!, $first: Int, $after: String) {\n    buildLogSearch(buildId: $buildId, attempt: $attempt, query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          seq\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": types.BuildLogSearchPageDocument,
    "\n  query BuildsFilterWorkers {\n    workers(first: 200) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.BuildsFilterWorkersDocument,
    "\n  query BuildsPage($filter: BuildFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    builds(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...BuildsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.BuildsPageDocument,
    "\n  subscription BuildsPageLive {\n    buildUpdated {\n      buildId\n      status\n      build {\n        ...BuildsRow\n      }\n    }\n  }\n": types.BuildsPageLiveDocument,
    "\n  fragment BuildsRow on Build {\n    id\n    status\n    platform\n    metadata\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    attempt\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n    }\n  }\n": types.BuildsRowFragmentDoc,
    "\n  mutation BuildsCancel($id: ID!) {\n    cancelBuild(id: $id, reason: \"Cancelled from the console's builds table\") {\n      ...BuildsRow\n      cancelRequestedAt\n    }\n  }\n": types.BuildsCancelDocument,
    "\n  mutation BuildsRetry($id: ID!) {\n    retryBuild(id: $id) {\n      ...BuildsRow\n    }\n  }\n": types.BuildsRetryDocument,
    "\n  fragment DashboardQueueStats on QueueStats {\n    finishedToday\n    builds {\n      status\n      platform\n      count\n    }\n    finishedTodayByStatus {\n      status\n      platform\n      count\n    }\n    workers {\n      status\n      count\n    }\n    queueWaitSeconds {\n      p50\n      p95\n      p99\n    }\n    buildDurationSeconds {\n      p50\n      p95\n      p99\n    }\n    oldestPendingSubmittedAt\n  }\n": types.DashboardQueueStatsFragmentDoc,
    "\n  query DashboardQueue {\n    queueStats {\n      ...DashboardQueueStats\n    }\n    builds(first: 1) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": types.DashboardQueueDocument,
    "\n  subscription DashboardQueueLive {\n    queueStats {\n      ...DashboardQueueStats\n    }\n  }\n": types.DashboardQueueLiveDocument,
    "\n  query DashboardHistory($hours: Int!, $bucketMinutes: Int!) {\n    buildHistory(hours: $hours, bucketMinutes: $bucketMinutes) {\n      at\n      completed\n      failed\n      cancelled\n      claimed\n      queueWaitSeconds {\n        p50\n        p95\n      }\n    }\n  }\n": types.DashboardHistoryDocument,
    "\n  mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n": types.CreateApiKeyDocument,
    "\n  query KeysList($includeRevoked: Boolean) {\n    apiKeys(includeRevoked: $includeRevoked) {\n      id\n      name\n      role\n      createdAt\n      lastUsedAt\n      revokedAt\n    }\n  }\n": types.KeysListDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": types.RevokeApiKeyDocument,
    "\n  mutation SubmitCreateUpload($input: CreateUploadInput!) {\n    createUpload(input: $input) {\n      id\n      url\n      headers {\n        name\n        value\n      }\n      partSize\n      partCount\n    }\n  }\n": types.SubmitCreateUploadDocument,
    "\n  mutation SubmitCreateUploadParts($uploadId: ID!, $parts: [UploadPartInput!]!) {\n    createUploadParts(uploadId: $uploadId, parts: $parts) {\n      number\n      url\n      headers {\n        name\n        value\n      }\n    }\n  }\n": types.SubmitCreateUploadPartsDocument,
    "\n  mutation SubmitCompleteUpload($uploadId: ID!, $parts: [UploadedPartInput!]) {\n    completeUpload(uploadId: $uploadId, parts: $parts) {\n      id\n    }\n  }\n": types.SubmitCompleteUploadDocument,
    "\n  mutation SubmitBuild($input: SubmitBuildInput!) {\n    submitBuild(input: $input) {\n      id\n      status\n      platform\n    }\n  }\n": types.SubmitBuildDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        ...WebhooksRow\n      }\n    }\n  }\n": types.CreateWebhookDocument,
    "\n  fragment WebhookDeliveryRow on WebhookDelivery {\n    id\n    event\n    status\n    attempts\n    responseStatus\n    latencyMs\n    error\n    createdAt\n    nextAttemptAt\n    deliveredAt\n    payload\n  }\n": types.WebhookDeliveryRowFragmentDoc,
    "\n  query WebhookDeliveries($id: ID!, $status: [WebhookDeliveryStatus!], $first: Int, $after: String, $last: Int, $before: String) {\n    webhook(id: $id) {\n      id\n      deliveries(status: $status, first: $first, after: $after, last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...WebhookDeliveryRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          hasPreviousPage\n          startCursor\n          endCursor\n        }\n      }\n    }\n  }\n": types.WebhookDeliveriesDocument,
    "\n  subscription WebhookDeliveriesLive {\n    queueStats {\n      finishedToday\n    }\n  }\n": types.WebhookDeliveriesLiveDocument,
    "\n  mutation RedeliverWebhookDelivery($id: ID!) {\n    redeliverWebhookDelivery(id: $id) {\n      ...WebhookDeliveryRow\n    }\n  }\n": types.RedeliverWebhookDeliveryDocument,
    "\n  fragment WebhookDetailFields on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n    updatedAt\n    createdBy {\n      id\n      name\n    }\n  }\n": types.WebhookDetailFieldsFragmentDoc,
    "\n  query WebhookDetail($id: ID!) {\n    webhook(id: $id) {\n      ...WebhookDetailFields\n    }\n  }\n": types.WebhookDetailDocument,
    "\n  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {\n    updateWebhook(id: $id, input: $input) {\n      ...WebhookDetailFields\n    }\n  }\n": types.UpdateWebhookDocument,
    "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n      webhook {\n        ...WebhookDetailFields\n      }\n    }\n  }\n": types.RotateWebhookSecretDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id) {\n      id\n    }\n  }\n": types.DeleteWebhookDocument,
    "\n  fragment WebhooksRow on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n  }\n": types.WebhooksRowFragmentDoc,
    "\n  query WebhooksList {\n    webhooks {\n      ...WebhooksRow\n    }\n  }\n": types.WebhooksListDocument,
    "\n  query WorkerDetail($id: ID!) {\n    worker(id: $id) {\n      ...WorkerDetailFields\n    }\n  }\n": types.WorkerDetailDocument,
    "\n  subscription WorkerDetailLive($id: ID!) {\n    workerUpdated(id: $id) {\n      workerId\n      worker {\n        ...WorkerDetailFields\n      }\n    }\n  }\n": types.WorkerDetailLiveDocument,
    "\n  query WorkerRecentBuilds($workerId: ID!) {\n    builds(first: 20, filter: { workerId: $workerId }) {\n      edges {\n        node {\n          id\n          status\n          platform\n          metadata\n          attempt\n          submittedAt\n          finishedAt\n        }\n      }\n    }\n  }\n": types.WorkerRecentBuildsDocument,
    "\n  subscription WorkerBuildsLive {\n    buildUpdated {\n      buildId\n      status\n    }\n  }\n": types.WorkerBuildsLiveDocument,
    "\n  fragment WorkerDetailFields on Worker {\n    ...WorkerRowFields\n    maxConcurrentBuilds\n    registeredAt\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n      system\n      checks {\n        name\n        status\n        message\n      }\n    }\n  }\n": types.WorkerDetailFieldsFragmentDoc,
    "\n  mutation DrainWorker($id: ID!) {\n    drainWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": types.DrainWorkerDocument,
    "\n  mutation ResumeWorker($id: ID!) {\n    resumeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": types.ResumeWorkerDocument,
    "\n  mutation RevokeWorker($id: ID!) {\n    revokeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n": types.RevokeWorkerDocument,
    "\n  query WorkersList($includeRevoked: Boolean) {\n    workers(first: 100, filter: { includeRevoked: $includeRevoked }) {\n      edges {\n        node {\n          ...WorkerRowFields\n        }\n      }\n    }\n  }\n": types.WorkersListDocument,
    "\n  subscription WorkersLive {\n    workerUpdated {\n      workerId\n      worker {\n        ...WorkerRowFields\n      }\n    }\n  }\n": types.WorkersLiveDocument,
    "\n  fragment WorkerRowFields on Worker {\n    id\n    name\n    status\n    platforms\n    labels\n    version\n    lastSeenAt\n    revokedAt\n    buildsCompleted\n    buildsFailed\n    currentBuilds {\n      id\n      status\n    }\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n    }\n  }\n": types.WorkerRowFieldsFragmentDoc,
    "\n  query SignInCheck {\n    me {\n      kind\n      name\n      role\n    }\n  }\n": types.SignInCheckDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BuildPageCancel($id: ID!, $reason: String) {\n    cancelBuild(id: $id, reason: $reason) {\n      id\n      status\n      cancelRequestedAt\n      finishedAt\n    }\n  }\n"): (typeof documents)["\n  mutation BuildPageCancel($id: ID!, $reason: String) {\n    cancelBuild(id: $id, reason: $reason) {\n      id\n      status\n      cancelRequestedAt\n      finishedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BuildPageRetry($id: ID!) {\n    retryBuild(id: $id) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation BuildPageRetry($id: ID!) {\n    retryBuild(id: $id) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BuildPageFields on Build {\n    id\n    status\n    platform\n    priority\n    progress\n    attempt\n    maxAttempts\n    metadata\n    requiredLabels\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    cancelRequestedAt\n    lastHeartbeatAt\n    timeoutSeconds\n    errorMessage\n    hasCerts\n    sourceSize\n    sourceSha256\n    resultSize\n    resultSha256\n    resultUrl\n    logLineCount\n    queuePosition\n    eligibleWorkers\n    unofferedLabels\n    retryOf {\n      id\n    }\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n      status\n    }\n    events {\n      id\n      at\n      fromStatus\n      toStatus\n      actor\n      reason\n    }\n  }\n"): (typeof documents)["\n  fragment BuildPageFields on Build {\n    id\n    status\n    platform\n    priority\n    progress\n    attempt\n    maxAttempts\n    metadata\n    requiredLabels\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    cancelRequestedAt\n    lastHeartbeatAt\n    timeoutSeconds\n    errorMessage\n    hasCerts\n    sourceSize\n    sourceSha256\n    resultSize\n    resultSha256\n    resultUrl\n    logLineCount\n    queuePosition\n    eligibleWorkers\n    unofferedLabels\n    retryOf {\n      id\n    }\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n      status\n    }\n    events {\n      id\n      at\n      fromStatus\n      toStatus\n      actor\n      reason\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildPage($id: ID!) {\n    build(id: $id) {\n      ...BuildPageFields\n    }\n  }\n"): (typeof documents)["\n  query BuildPage($id: ID!) {\n    build(id: $id) {\n      ...BuildPageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BuildPageLive($id: ID!) {\n    buildUpdated(id: $id) {\n      buildId\n      status\n      build {\n        ...BuildPageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription BuildPageLive($id: ID!) {\n    buildUpdated(id: $id) {\n      buildId\n      status\n      build {\n        ...BuildPageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildTelemetry($id: ID!, $first: Int!) {\n    build(id: $id) {\n      id\n      telemetry(first: $first) {\n        at\n        kind\n        data\n      }\n    }\n  }\n"): (typeof documents)["\n  query BuildTelemetry($id: ID!, $first: Int!) {\n    build(id: $id) {\n      id\n      telemetry(first: $first) {\n        at\n        kind\n        data\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BuildTelemetryLive($id: ID!) {\n    buildTelemetryRecorded(buildId: $id) {\n      buildId\n      events {\n        at\n        kind\n        data\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription BuildTelemetryLive($id: ID!) {\n    buildTelemetryRecorded(buildId: $id) {\n      buildId\n      events {\n        at\n        kind\n        data\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildWait($id: ID!) {\n    build(id: $id) {\n      id\n      queuePosition\n      eligibleWorkers\n      unofferedLabels\n    }\n  }\n"): (typeof documents)["\n  query BuildWait($id: ID!) {\n    build(id: $id) {\n      id\n      queuePosition\n      eligibleWorkers\n      unofferedLabels\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BuildWaitQueueChanged {\n    queueStats {\n      oldestPendingSubmittedAt\n    }\n  }\n"): (typeof documents)["\n  subscription BuildWaitQueueChanged {\n    queueStats {\n      oldestPendingSubmittedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildLogPage($buildId: ID!, $attempt: Int, $first: Int, $afterSeq: Int, $last: Int, $before: String) {\n    buildLogs(buildId: $buildId, attempt: $attempt, first: $first, afterSeq: $afterSeq, last: $last, before: $before) {\n      edges {\n        node {\n          seq\n          at\n          level\n          message\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query BuildLogPage($buildId: ID!, $attempt: Int, $first: Int, $afterSeq: Int, $last: Int, $before: String) {\n    buildLogs(buildId: $buildId, attempt: $attempt, first: $first, afterSeq: $afterSeq, last: $last, before: $before) {\n      edges {\n        node {\n          seq\n          at\n          level\n          message\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BuildLogLive($buildId: ID!) {\n    buildLogAppended(buildId: $buildId) {\n      attempt\n      nextSeq\n      lines {\n        seq\n        at\n        level\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription BuildLogLive($buildId: ID!) {\n    buildLogAppended(buildId: $buildId) {\n      attempt\n      nextSeq\n      lines {\n        seq\n        at\n        level\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildLogSearchPage($buildId: ID!, $attempt: Int, $query: String!, $first: Int, $after: String) {\n    buildLogSearch(buildId: $buildId, attempt: $attempt, query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          seq\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query BuildLogSearchPage($buildId: ID!, $attempt: Int, $query: String!, $first: Int, $after: String) {\n    buildLogSearch(buildId: $buildId, attempt: $attempt, query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          seq\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildsFilterWorkers {\n    workers(first: 200) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query BuildsFilterWorkers {\n    workers(first: 200) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BuildsPage($filter: BuildFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    builds(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...BuildsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query BuildsPage($filter: BuildFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    builds(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...BuildsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BuildsPageLive {\n    buildUpdated {\n      buildId\n      status\n      build {\n        ...BuildsRow\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription BuildsPageLive {\n    buildUpdated {\n      buildId\n      status\n      build {\n        ...BuildsRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BuildsRow on Build {\n    id\n    status\n    platform\n    metadata\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    attempt\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment BuildsRow on Build {\n    id\n    status\n    platform\n    metadata\n    submittedAt\n    assignedAt\n    startedAt\n    finishedAt\n    attempt\n    submittedBy {\n      id\n      name\n    }\n    worker {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BuildsCancel($id: ID!) {\n    cancelBuild(id: $id, reason: \"Cancelled from the console's builds table\") {\n      ...BuildsRow\n      cancelRequestedAt\n    }\n  }\n"): (typeof documents)["\n  mutation BuildsCancel($id: ID!) {\n    cancelBuild(id: $id, reason: \"Cancelled from the console's builds table\") {\n      ...BuildsRow\n      cancelRequestedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BuildsRetry($id: ID!) {\n    retryBuild(id: $id) {\n      ...BuildsRow\n    }\n  }\n"): (typeof documents)["\n  mutation BuildsRetry($id: ID!) {\n    retryBuild(id: $id) {\n      ...BuildsRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DashboardQueueStats on QueueStats {\n    finishedToday\n    builds {\n      status\n      platform\n      count\n    }\n    finishedTodayByStatus {\n      status\n      platform\n      count\n    }\n    workers {\n      status\n      count\n    }\n    queueWaitSeconds {\n      p50\n      p95\n      p99\n    }\n    buildDurationSeconds {\n      p50\n      p95\n      p99\n    }\n    oldestPendingSubmittedAt\n  }\n"): (typeof documents)["\n  fragment DashboardQueueStats on QueueStats {\n    finishedToday\n    builds {\n      status\n      platform\n      count\n    }\n    finishedTodayByStatus {\n      status\n      platform\n      count\n    }\n    workers {\n      status\n      count\n    }\n    queueWaitSeconds {\n      p50\n      p95\n      p99\n    }\n    buildDurationSeconds {\n      p50\n      p95\n      p99\n    }\n    oldestPendingSubmittedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardQueue {\n    queueStats {\n      ...DashboardQueueStats\n    }\n    builds(first: 1) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardQueue {\n    queueStats {\n      ...DashboardQueueStats\n    }\n    builds(first: 1) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardQueueLive {\n    queueStats {\n      ...DashboardQueueStats\n    }\n  }\n"): (typeof documents)["\n  subscription DashboardQueueLive {\n    queueStats {\n      ...DashboardQueueStats\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardHistory($hours: Int!, $bucketMinutes: Int!) {\n    buildHistory(hours: $hours, bucketMinutes: $bucketMinutes) {\n      at\n      completed\n      failed\n      cancelled\n      claimed\n      queueWaitSeconds {\n        p50\n        p95\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardHistory($hours: Int!, $bucketMinutes: Int!) {\n    buildHistory(hours: $hours, bucketMinutes: $bucketMinutes) {\n      at\n      completed\n      failed\n      cancelled\n      claimed\n      queueWaitSeconds {\n        p50\n        p95\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KeysList($includeRevoked: Boolean) {\n    apiKeys(includeRevoked: $includeRevoked) {\n      id\n      name\n      role\n      createdAt\n      lastUsedAt\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  query KeysList($includeRevoked: Boolean) {\n    apiKeys(includeRevoked: $includeRevoked) {\n      id\n      name\n      role\n      createdAt\n      lastUsedAt\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitCreateUpload($input: CreateUploadInput!) {\n    createUpload(input: $input) {\n      id\n      url\n      headers {\n        name\n        value\n      }\n      partSize\n      partCount\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitCreateUpload($input: CreateUploadInput!) {\n    createUpload(input: $input) {\n      id\n      url\n      headers {\n        name\n        value\n      }\n      partSize\n      partCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitCreateUploadParts($uploadId: ID!, $parts: [UploadPartInput!]!) {\n    createUploadParts(uploadId: $uploadId, parts: $parts) {\n      number\n      url\n      headers {\n        name\n        value\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitCreateUploadParts($uploadId: ID!, $parts: [UploadPartInput!]!) {\n    createUploadParts(uploadId: $uploadId, parts: $parts) {\n      number\n      url\n      headers {\n        name\n        value\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitCompleteUpload($uploadId: ID!, $parts: [UploadedPartInput!]) {\n    completeUpload(uploadId: $uploadId, parts: $parts) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitCompleteUpload($uploadId: ID!, $parts: [UploadedPartInput!]) {\n    completeUpload(uploadId: $uploadId, parts: $parts) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitBuild($input: SubmitBuildInput!) {\n    submitBuild(input: $input) {\n      id\n      status\n      platform\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitBuild($input: SubmitBuildInput!) {\n    submitBuild(input: $input) {\n      id\n      status\n      platform\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        ...WebhooksRow\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        ...WebhooksRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookDeliveryRow on WebhookDelivery {\n    id\n    event\n    status\n    attempts\n    responseStatus\n    latencyMs\n    error\n    createdAt\n    nextAttemptAt\n    deliveredAt\n    payload\n  }\n"): (typeof documents)["\n  fragment WebhookDeliveryRow on WebhookDelivery {\n    id\n    event\n    status\n    attempts\n    responseStatus\n    latencyMs\n    error\n    createdAt\n    nextAttemptAt\n    deliveredAt\n    payload\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDeliveries($id: ID!, $status: [WebhookDeliveryStatus!], $first: Int, $after: String, $last: Int, $before: String) {\n    webhook(id: $id) {\n      id\n      deliveries(status: $status, first: $first, after: $after, last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...WebhookDeliveryRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          hasPreviousPage\n          startCursor\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebhookDeliveries($id: ID!, $status: [WebhookDeliveryStatus!], $first: Int, $after: String, $last: Int, $before: String) {\n    webhook(id: $id) {\n      id\n      deliveries(status: $status, first: $first, after: $after, last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...WebhookDeliveryRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          hasPreviousPage\n          startCursor\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WebhookDeliveriesLive {\n    queueStats {\n      finishedToday\n    }\n  }\n"): (typeof documents)["\n  subscription WebhookDeliveriesLive {\n    queueStats {\n      finishedToday\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RedeliverWebhookDelivery($id: ID!) {\n    redeliverWebhookDelivery(id: $id) {\n      ...WebhookDeliveryRow\n    }\n  }\n"): (typeof documents)["\n  mutation RedeliverWebhookDelivery($id: ID!) {\n    redeliverWebhookDelivery(id: $id) {\n      ...WebhookDeliveryRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookDetailFields on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n    updatedAt\n    createdBy {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment WebhookDetailFields on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n    updatedAt\n    createdBy {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDetail($id: ID!) {\n    webhook(id: $id) {\n      ...WebhookDetailFields\n    }\n  }\n"): (typeof documents)["\n  query WebhookDetail($id: ID!) {\n    webhook(id: $id) {\n      ...WebhookDetailFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {\n    updateWebhook(id: $id, input: $input) {\n      ...WebhookDetailFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {\n    updateWebhook(id: $id, input: $input) {\n      ...WebhookDetailFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n      webhook {\n        ...WebhookDetailFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n      webhook {\n        ...WebhookDetailFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhooksRow on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n  }\n"): (typeof documents)["\n  fragment WebhooksRow on Webhook {\n    id\n    url\n    description\n    events\n    enabled\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhooksList {\n    webhooks {\n      ...WebhooksRow\n    }\n  }\n"): (typeof documents)["\n  query WebhooksList {\n    webhooks {\n      ...WebhooksRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkerDetail($id: ID!) {\n    worker(id: $id) {\n      ...WorkerDetailFields\n    }\n  }\n"): (typeof documents)["\n  query WorkerDetail($id: ID!) {\n    worker(id: $id) {\n      ...WorkerDetailFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkerDetailLive($id: ID!) {\n    workerUpdated(id: $id) {\n      workerId\n      worker {\n        ...WorkerDetailFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription WorkerDetailLive($id: ID!) {\n    workerUpdated(id: $id) {\n      workerId\n      worker {\n        ...WorkerDetailFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkerRecentBuilds($workerId: ID!) {\n    builds(first: 20, filter: { workerId: $workerId }) {\n      edges {\n        node {\n          id\n          status\n          platform\n          metadata\n          attempt\n          submittedAt\n          finishedAt\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query WorkerRecentBuilds($workerId: ID!) {\n    builds(first: 20, filter: { workerId: $workerId }) {\n      edges {\n        node {\n          id\n          status\n          platform\n          metadata\n          attempt\n          submittedAt\n          finishedAt\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkerBuildsLive {\n    buildUpdated {\n      buildId\n      status\n    }\n  }\n"): (typeof documents)["\n  subscription WorkerBuildsLive {\n    buildUpdated {\n      buildId\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkerDetailFields on Worker {\n    ...WorkerRowFields\n    maxConcurrentBuilds\n    registeredAt\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n      system\n      checks {\n        name\n        status\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment WorkerDetailFields on Worker {\n    ...WorkerRowFields\n    maxConcurrentBuilds\n    registeredAt\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n      system\n      checks {\n        name\n        status\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DrainWorker($id: ID!) {\n    drainWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"): (typeof documents)["\n  mutation DrainWorker($id: ID!) {\n    drainWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeWorker($id: ID!) {\n    resumeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"): (typeof documents)["\n  mutation ResumeWorker($id: ID!) {\n    resumeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeWorker($id: ID!) {\n    revokeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeWorker($id: ID!) {\n    revokeWorker(id: $id) {\n      ...WorkerRowFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkersList($includeRevoked: Boolean) {\n    workers(first: 100, filter: { includeRevoked: $includeRevoked }) {\n      edges {\n        node {\n          ...WorkerRowFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query WorkersList($includeRevoked: Boolean) {\n    workers(first: 100, filter: { includeRevoked: $includeRevoked }) {\n      edges {\n        node {\n          ...WorkerRowFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkersLive {\n    workerUpdated {\n      workerId\n      worker {\n        ...WorkerRowFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription WorkersLive {\n    workerUpdated {\n      workerId\n      worker {\n        ...WorkerRowFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkerRowFields on Worker {\n    id\n    name\n    status\n    platforms\n    labels\n    version\n    lastSeenAt\n    revokedAt\n    buildsCompleted\n    buildsFailed\n    currentBuilds {\n      id\n      status\n    }\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n    }\n  }\n"): (typeof documents)["\n  fragment WorkerRowFields on Worker {\n    id\n    name\n    status\n    platforms\n    labels\n    version\n    lastSeenAt\n    revokedAt\n    buildsCompleted\n    buildsFailed\n    currentBuilds {\n      id\n      status\n    }\n    diagnostics(first: 1) {\n      id\n      at\n      failCount\n      warnCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignInCheck {\n    me {\n      kind\n      name\n      role\n    }\n  }\n"): (typeof documents)["\n  query SignInCheck {\n    me {\n      kind\n      name\n      role\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;