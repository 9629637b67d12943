import { Card } from '@mantine/core';
import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useSession } from '../../session/session.ts';
import { SubmitForm } from './SubmitForm.tsx';

/** Submit a build: ADMIN and SUBMITTER keys may; a read-only key is told so. */
export function SubmitPage() {
  const { canAct } = useSession();
  return (
    <>
      <PageHeader title="Submit a build" description="Upload a source archive and queue it." />
      {canAct ? (
        <Card withBorder maw={760}>
          <SubmitForm />
        </Card>
      ) : (
        <EmptyState
          title="This key may not submit builds"
          description="It is read-only. Sign in with an ADMIN or SUBMITTER key to submit."
        />
      )}
    </>
  );
}
