import { graphql } from '../../gql/gql.ts';

/**
 * What the worker page shows of a worker: the table's row fields, plus its latest diagnostics
 * report in full. The page's query and its live events select the same, so events keep it current.
 */
export const WorkerDetailFields = graphql(`
  fragment WorkerDetailFields on Worker {
    ...WorkerRowFields
    maxConcurrentBuilds
    registeredAt
    diagnostics(first: 1) {
      id
      at
      failCount
      warnCount
      system
      checks {
        name
        status
        message
      }
    }
  }
`);
