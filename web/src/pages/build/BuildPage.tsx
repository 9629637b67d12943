import { getRouteApi } from '@tanstack/react-router';
import { BackLink } from '../../components/BackLink.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';

const route = getRouteApi('/app/builds/$buildId');

/** One build (placeholder): its header, timeline, log, artifacts and actions come with its page work. */
export function BuildPage() {
  const { buildId } = route.useParams();
  return (
    <>
      <PageHeader title={`Build ${buildId.slice(0, 8)}`} description={buildId} above={<BackLink to="/builds">Builds</BackLink>} />
      <EmptyState
        title="The build page comes here"
        description="Status and timings, why it waits, its timeline, its log with search, artifacts, cancel and retry."
      />
    </>
  );
}
