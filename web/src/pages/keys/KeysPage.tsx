import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useSession } from '../../session/session.ts';

/** API keys (placeholder). ADMIN and VIEWER keys may list them; only ADMIN keys change them. */
export function KeysPage() {
  const { canReadKeys } = useSession();
  return (
    <>
      <PageHeader title="API keys" description="Who and what may use this server." />
      {canReadKeys ? (
        <EmptyState title="The API keys page comes here" description="Every key with its role and last use; create one, revoke one." />
      ) : (
        <EmptyState title="This key may not see API keys" description="Sign in with an ADMIN or VIEWER key to see them." />
      )}
    </>
  );
}
