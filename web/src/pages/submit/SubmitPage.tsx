import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useSession } from '../../session/session.ts';

/** Submit a build (placeholder). ADMIN and SUBMITTER keys may. */
export function SubmitPage() {
  const { canAct } = useSession();
  return (
    <>
      <PageHeader title="Submit a build" description="Upload a source archive and queue it." />
      {canAct ? (
        <EmptyState
          title="The submit form comes here"
          description="Archive, platform, priority, labels and metadata, with upload progress."
        />
      ) : (
        <EmptyState
          title="This key may not submit builds"
          description="It is read-only. Sign in with an ADMIN or SUBMITTER key to submit."
        />
      )}
    </>
  );
}
