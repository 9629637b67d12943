import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';

/** The workers page (placeholder). */
export function WorkersPage() {
  return (
    <>
      <PageHeader title="Workers" description="The build machines, what they run and how they are." />
      <EmptyState
        title="The workers table comes here"
        description="Status, platforms, labels, version, current build, last seen, counts and diagnostics; drain, resume and revoke."
      />
    </>
  );
}
