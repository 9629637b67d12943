import { Code } from '@mantine/core';

/** What to do with a signing secret the server shows once (after adding a webhook or rotating its secret). */
export function SigningSecretNote() {
  return (
    <>
      Copy the signing secret now: it is shown this once and cannot be read again. Your receiver checks each request's{' '}
      <Code>Free-Agent-Signature</Code> header with it; the verification recipe is in docs/webhooks.md (in the Free Agent repository).
    </>
  );
}
