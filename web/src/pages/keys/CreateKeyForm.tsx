import { Button, Card, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ErrorState } from '../../components/ErrorState.tsx';
import { OneTimeSecret } from '../../components/OneTimeSecret.tsx';
import { graphql } from '../../gql/gql.ts';
import type { ApiKeyRole } from '../../gql/graphql.ts';
import { isOneOf } from '../../graphql/enums.ts';

const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {
    createApiKey(name: $name, role: $role) {
      secret
      apiKey {
        id
        name
        role
        createdAt
        lastUsedAt
        revokedAt
      }
    }
  }
`);

// Written as a Record so the typecheck fails when the schema gains or drops a role.
const roleDescriptions: Record<ApiKeyRole, string> = {
  VIEWER: 'VIEWER: reads everything, changes nothing',
  SUBMITTER: 'SUBMITTER: submits, cancels and retries builds',
  WORKER: 'WORKER: registers build agents',
  ADMIN: 'ADMIN: everything',
};
const roles = Object.keys(roleDescriptions) as ApiKeyRole[];

/**
 * Creates an API key (ADMIN). The server answers with its secret this once: it is shown with a copy
 * button and a warning until the admin dismisses it, and is kept nowhere else.
 */
export function CreateKeyForm() {
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiKeyRole>('VIEWER');
  const [created, setCreated] = useState<{ name: string; role: ApiKeyRole; secret: string } | null>(null);
  const [{ fetching, error }, createApiKey] = useMutation(CreateApiKeyMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await createApiKey({ name: name.trim(), role });
    if (result.data) {
      const { secret, apiKey } = result.data.createApiKey;
      setCreated({ name: apiKey.name, role: apiKey.role, secret });
      setName('');
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="keys-create">
      <Text component="h2" id="keys-create" fw={700} size="lg" mb="sm">
        Create a key
      </Text>
      {created ? (
        <OneTimeSecret
          title={`Key "${created.name}" (${created.role}) created`}
          message="Copy its secret now: it is shown this once and cannot be read again. Whoever holds it can act as this key."
          secret={created.secret}
          label="New key secret"
          onDone={() => setCreated(null)}
        />
      ) : (
        <form onSubmit={(event) => void submit(event)}>
          <Group align="flex-end" gap="sm">
            <TextInput
              label="Name"
              description="What or who it is for, e.g. CI or alice"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              required
              maxLength={200}
              w={{ base: '100%', sm: 280 }}
            />
            <Select
              label="Role"
              description="What it may do"
              data={roles.map((value) => ({ value, label: roleDescriptions[value] }))}
              value={role}
              onChange={(value) => isOneOf(roles, value) && setRole(value)}
              allowDeselect={false}
              w={{ base: '100%', sm: 340 }}
            />
            <Button type="submit" loading={fetching} disabled={name.trim() === ''}>
              Create key
            </Button>
          </Group>
          {error && (
            <Stack mt="sm">
              <ErrorState error={error} title="Could not create the key" />
            </Stack>
          )}
        </form>
      )}
    </Card>
  );
}
