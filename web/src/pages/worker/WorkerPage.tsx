import { getRouteApi } from '@tanstack/react-router';
import { BackLink } from '../../components/BackLink.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';

const route = getRouteApi('/app/workers/$workerId');

/** One worker (placeholder). */
export function WorkerPage() {
  const { workerId } = route.useParams();
  return (
    <>
      <PageHeader title={`Worker ${workerId.slice(0, 8)}`} description={workerId} above={<BackLink to="/workers">Workers</BackLink>} />
      <EmptyState title="The worker page comes here" description="Its diagnostics report, check by check, and its recent builds." />
    </>
  );
}
