import { Badge, Card, Group, Switch, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { scrollable } from '../workers/scrollable.ts';
import { graphql } from '../../gql/gql.ts';
import type { KeysListQuery as KeysListResult } from '../../gql/graphql.ts';
import { useSession } from '../../session/session.ts';
import { CreateKeyForm } from './CreateKeyForm.tsx';

const KeysListQuery = graphql(`
  query KeysList($includeRevoked: Boolean) {
    apiKeys(includeRevoked: $includeRevoked) {
      id
      name
      role
      createdAt
      lastUsedAt
      revokedAt
    }
  }
`);

const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

type ApiKeyRow = KeysListResult['apiKeys'][number];

/**
 * API keys: ADMIN and VIEWER keys list them (never their secrets); only ADMIN keys create and
 * revoke them. A new key's secret is shown once, right after it is created.
 */
export function KeysPage() {
  const { canReadKeys, canAdmin } = useSession();
  return (
    <>
      <PageHeader title="API keys" description="Who and what may use this server." />
      {canReadKeys ? (
        <>
          {canAdmin && <CreateKeyForm />}
          <KeysList />
        </>
      ) : (
        <EmptyState title="This key may not see API keys" description="Sign in with an ADMIN or VIEWER key to see them." />
      )}
    </>
  );
}

function KeysList() {
  const [includeRevoked, setIncludeRevoked] = useState(true);
  // cache-and-network: a key created here (or elsewhere) since the last visit shows at once.
  const [{ data, error }, reexecute] = useQuery({
    query: KeysListQuery,
    variables: { includeRevoked },
    requestPolicy: 'cache-and-network',
  });
  const keys = data?.apiKeys;
  return (
    <Card withBorder component="section" aria-labelledby="keys-list" mt="lg" p={0}>
      <Group justify="space-between" p="md" pb="xs">
        <Text component="h2" id="keys-list" fw={700} size="lg">
          Keys
        </Text>
        <Switch label="Show revoked keys" checked={includeRevoked} onChange={(event) => setIncludeRevoked(event.currentTarget.checked)} />
      </Group>
      {error && !keys && (
        <ErrorState error={error} title="Could not load the API keys" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !keys && <Loading variant="rows" rows={3} label="Loading the API keys…" />}
      {keys && keys.length === 0 && <EmptyState title="No API keys" description="Create one above; revoked keys show with the switch." />}
      {keys && keys.length > 0 && (
        <Table.ScrollContainer minWidth={720} scrollAreaProps={scrollable('Keys, scrollable')}>
          <Table aria-labelledby="keys-list" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th miw={120}>Role</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Revoked</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.map((key) => (
                <KeyRow key={key.id} apiKey={key} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKeyRow }) {
  const [, revoke] = useMutation(RevokeApiKeyMutation);
  return (
    <Table.Tr data-key-id={apiKey.id} data-revoked={apiKey.revokedAt ? 'true' : 'false'}>
      <Table.Td fw={500} style={{ overflowWrap: 'anywhere' }}>
        {apiKey.name}
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={apiKey.role === 'ADMIN' ? 'grape' : 'blue'} size="sm" radius="sm" c="var(--mantine-color-text)">
          {apiKey.role}
        </Badge>
      </Table.Td>
      <Table.Td>
        <RelativeTime value={apiKey.createdAt} />
      </Table.Td>
      <Table.Td>
        {apiKey.lastUsedAt ? (
          <RelativeTime value={apiKey.lastUsedAt} />
        ) : (
          <Text span c="dimmed" size="sm">
            Never
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {apiKey.revokedAt ? (
          <RelativeTime value={apiKey.revokedAt} />
        ) : (
          <Text span c="dimmed" size="sm">
            No
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {!apiKey.revokedAt && (
          <ConfirmButton
            permission="admin"
            size="xs"
            title={`Revoke the key "${apiKey.name}"?`}
            message="Anything using it is refused from now on. This cannot be undone; the last ADMIN key cannot be revoked."
            onConfirm={() => revoke({ id: apiKey.id })}
          >
            Revoke
          </ConfirmButton>
        )}
      </Table.Td>
    </Table.Tr>
  );
}
