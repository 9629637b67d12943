import { useQuery } from 'urql';
import { graphql } from '../gql/index.ts';

const OverviewQuery = graphql(`
  query Overview {
    queueStats {
      builds {
        status
        platform
        count
      }
      workers {
        status
        count
      }
      finishedToday
    }
    builds(first: 20) {
      edges {
        node {
          id
          platform
          status
          progress
          submittedAt
          metadata
          worker {
            name
          }
        }
      }
    }
  }
`);

/** A first look at the queue: counts and the latest builds. The full console comes later. */
export function Overview() {
  const [{ data, error, fetching }] = useQuery({ query: OverviewQuery });
  if (error) return <p role="alert">Could not load: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading…' : 'Nothing to show'}</p>;
  return (
    <main style={{ fontFamily: 'system-ui', margin: '2rem' }}>
      <h1>Free Agent</h1>
      <section aria-label="Queue">
        <h2>Queue</h2>
        <p>Finished today: {data.queueStats.finishedToday}</p>
        <ul>
          {data.queueStats.builds.map((count) => (
            <li key={`${count.status}-${count.platform}`}>
              {count.platform} {count.status}: {count.count}
            </li>
          ))}
          {data.queueStats.workers.map((count) => (
            <li key={count.status}>
              Workers {count.status}: {count.count}
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Builds">
        <h2>Latest builds</h2>
        <table>
          <thead>
            <tr>
              <th>Build</th>
              <th>Platform</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Worker</th>
            </tr>
          </thead>
          <tbody>
            {data.builds.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>{node.id.slice(0, 8)}</td>
                <td>{node.platform}</td>
                <td>{node.status}</td>
                <td>{node.progress}%</td>
                <td>{node.worker?.name ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}
