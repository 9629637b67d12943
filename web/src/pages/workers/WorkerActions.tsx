import { Group } from '@mantine/core';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WorkerStatus } from '../../gql/graphql.ts';

const DrainWorkerMutation = graphql(`
  mutation DrainWorker($id: ID!) {
    drainWorker(id: $id) {
      ...WorkerRowFields
    }
  }
`);

const ResumeWorkerMutation = graphql(`
  mutation ResumeWorker($id: ID!) {
    resumeWorker(id: $id) {
      ...WorkerRowFields
    }
  }
`);

const RevokeWorkerMutation = graphql(`
  mutation RevokeWorker($id: ID!) {
    revokeWorker(id: $id) {
      ...WorkerRowFields
    }
  }
`);

export interface WorkerActionsProps {
  worker: { id: string; name: string; status: WorkerStatus; revokedAt?: string | null };
  size?: 'xs' | 'sm';
}

// Indigo rather than orange or teal: those light buttons' text is under 4.5:1 contrast (axe).

/**
 * Drain or resume, and revoke, each asking first; nothing for a revoked worker, and nothing for a
 * key that is not ADMIN (ConfirmButton hides itself). The answers carry the worker's row fields,
 * so the table and the worker page change at once, before the live event arrives.
 */
export function WorkerActions({ worker, size = 'xs' }: WorkerActionsProps) {
  const [, drain] = useMutation(DrainWorkerMutation);
  const [, resume] = useMutation(ResumeWorkerMutation);
  const [, revoke] = useMutation(RevokeWorkerMutation);
  if (worker.revokedAt) return null;
  return (
    <Group gap={6} wrap="nowrap">
      {worker.status === 'DRAINING' ? (
        <ConfirmButton
          permission="admin"
          color="indigo"
          size={size}
          title={`Resume ${worker.name}?`}
          message="It takes new builds again."
          onConfirm={() => resume({ id: worker.id })}
        >
          Resume
        </ConfirmButton>
      ) : (
        <ConfirmButton
          permission="admin"
          color="indigo"
          size={size}
          title={`Drain ${worker.name}?`}
          message="It finishes the builds it runs and takes no new ones until it is resumed."
          onConfirm={() => drain({ id: worker.id })}
        >
          Drain
        </ConfirmButton>
      )}
      <ConfirmButton
        permission="admin"
        size={size}
        title={`Revoke ${worker.name}?`}
        message="Its token stops working at once and its builds go back to the queue. It must register again to return."
        onConfirm={() => revoke({ id: worker.id })}
      >
        Revoke
      </ConfirmButton>
    </Group>
  );
}
