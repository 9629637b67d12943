import { Tooltip } from '@mantine/core';
import { useNavigate } from '@tanstack/react-router';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { graphql } from '../../gql/gql.ts';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';
import { useSession } from '../../session/session.ts';
import { shortId } from './buildFormat.ts';

const CancelBuildMutation = graphql(`
  mutation BuildPageCancel($id: ID!, $reason: String) {
    cancelBuild(id: $id, reason: $reason) {
      id
      status
      cancelRequestedAt
      finishedAt
    }
  }
`);

const RetryBuildMutation = graphql(`
  mutation BuildPageRetry($id: ID!) {
    retryBuild(id: $id) {
      id
      status
    }
  }
`);

const unfinished = new Set(['PENDING', 'ASSIGNED', 'BUILDING']);

/**
 * Cancel (while it has not finished) and retry (once it has), each after confirmation; keys that
 * may not act see neither (ConfirmButton). A retry opens the new build's page.
 */
export function BuildActions({ build }: { build: BuildPageFieldsFragment }) {
  const session = useSession();
  const navigate = useNavigate();
  const [, cancel] = useMutation(CancelBuildMutation);
  const [, retry] = useMutation(RetryBuildMutation);
  const name = `build ${shortId(build.id)}`;

  if (unfinished.has(build.status)) {
    return (
      <ConfirmButton
        permission="act"
        title={`Cancel ${name}?`}
        message={
          build.status === 'PENDING'
            ? 'It leaves the queue and will not run.'
            : 'Its worker is told to stop at once; what it built so far is lost.'
        }
        confirmLabel="Cancel build"
        onConfirm={() => cancel({ id: build.id, reason: `Cancelled from the console by ${session.name}` })}
      >
        Cancel build
      </ConfirmButton>
    );
  }

  const retryButton = (
    <ConfirmButton
      permission="act"
      color="blue"
      title={`Retry ${name}?`}
      message="A new build is queued with the same source, platform, labels and metadata; this one stays as it is."
      confirmLabel="Retry build"
      disabled={build.hasCerts}
      onConfirm={async () => {
        const result = await retry({ id: build.id });
        if (result.data?.retryBuild) void navigate({ to: '/builds/$buildId', params: { buildId: result.data.retryBuild.id } });
        return result;
      }}
    >
      Retry build
    </ConfirmButton>
  );
  // A signed build's certificates were deleted when it finished: retrying needs fresh ones, which
  // only the API (retryBuild with certsUploadId) can take for now.
  if (build.hasCerts && session.canAct)
    return (
      <Tooltip label="Signed builds are retried with fresh certificates, through the API">
        <span>{retryButton}</span>
      </Tooltip>
    );
  return retryButton;
}
