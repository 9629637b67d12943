import { Button, Code, Group, Stack, Text } from '@mantine/core';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';
import { formatBytes } from './buildFormat.ts';

/**
 * The build's result: a download link with its size and SHA-256 once it completed; otherwise
 * what will be there. The link is signed and short-lived: the page's query renews it on reload.
 */
export function BuildArtifacts({ build }: { build: BuildPageFieldsFragment }) {
  if (build.status !== 'COMPLETED' || !build.resultUrl) {
    const why =
      build.status === 'COMPLETED'
        ? 'Its result is not readable with this key.'
        : build.status === 'FAILED' || build.status === 'CANCELLED'
          ? 'It finished without a result.'
          : 'Its result appears here once it completes.';
    return <Text c="dimmed">{why}</Text>;
  }
  return (
    <Stack gap="xs">
      <Group gap="sm" wrap="wrap">
        <Button component="a" href={build.resultUrl} download variant="light" data-testid="result-download">
          Download result
        </Button>
        <Text size="sm">{formatBytes(build.resultSize)}</Text>
      </Group>
      <Text size="xs" c="dimmed" component="div">
        SHA-256{' '}
        <Code data-testid="result-sha256" style={{ overflowWrap: 'anywhere' }}>
          {build.resultSha256}
        </Code>
      </Text>
    </Stack>
  );
}
