import { Alert, Button, Checkbox, Container, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { useRef, useState, type FormEvent } from 'react';
import { signIn, useSessionState } from '../../session/session.ts';
import { verifyKey } from '../../session/verifyKey.ts';

const route = getRouteApi('/sign-in');

/**
 * Sign in with an API key. The key is checked with the server before it is kept; a refusal
 * (unknown, revoked, a WORKER key, the server unreachable) shows on the form, which stays usable.
 */
export function SignInPage() {
  useDocumentTitle('Sign in · Free Agent');
  const { signedOutReason } = useSessionState();
  const { redirect } = route.useSearch();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const [checking, setChecking] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setRefusal('Paste an API key first.');
      input.current?.focus();
      return;
    }
    setChecking(true);
    const verification = await verifyKey(candidate);
    setChecking(false);
    if (!verification.ok) {
      setRefusal(verification.reason);
      input.current?.select();
      return;
    }
    signIn({ key: candidate, name: verification.name, role: verification.role, remember });
    void navigate({ to: redirect ?? '/' });
  };

  return (
    <Container size={460} py={64} component="main">
      <Title order={1} size="h2" mb={4}>
        Sign in to Free Agent
      </Title>
      <Text c="dimmed" mb="lg">
        Paste an API key with the ADMIN, SUBMITTER or VIEWER role. The server prints an admin key when it first starts; an admin can create
        more under API keys.
      </Text>
      <Paper withBorder p="lg" radius="md" component="form" onSubmit={(event) => void submit(event)} noValidate>
        <Stack>
          {signedOutReason && !refusal && (
            <Alert color="yellow" variant="light" title="You were signed out">
              {signedOutReason}
            </Alert>
          )}
          <PasswordInput
            ref={input}
            label="API key"
            placeholder="fak_…"
            autoComplete="off"
            spellCheck={false}
            autoFocus
            value={key}
            onChange={(event) => {
              setKey(event.currentTarget.value);
              setRefusal(undefined);
            }}
            error={refusal && <span role="alert">{refusal}</span>}
          />
          <Checkbox
            label="Remember on this device"
            description="Otherwise the key is kept for this tab only."
            checked={remember}
            onChange={(event) => setRemember(event.currentTarget.checked)}
          />
          <Button type="submit" loading={checking}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Container>
  );
}
