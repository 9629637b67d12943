import { EmptyState } from '../../components/EmptyState.tsx';

/** What a key other than ADMIN sees on the webhooks pages (the server would refuse it anyway). */
export function AdminsOnly() {
  return (
    <EmptyState
      title="Webhooks are for admins only"
      description="Only an ADMIN key sees and manages webhooks: their URLs may carry a receiver's token. Sign in with an ADMIN key to see them."
    />
  );
}
