import { graphql } from '../../gql/gql.ts';

/**
 * What the workers table shows of a worker. The list, the live `workerUpdated` events and the
 * drain/resume/revoke answers all select it, so each of them updates the same cached row.
 */
export const WorkerRowFields = graphql(`
  fragment WorkerRowFields on Worker {
    id
    name
    status
    platforms
    labels
    version
    lastSeenAt
    revokedAt
    buildsCompleted
    buildsFailed
    currentBuilds {
      id
      status
    }
    diagnostics(first: 1) {
      id
      at
      failCount
      warnCount
    }
  }
`);
