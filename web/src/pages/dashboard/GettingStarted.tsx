import { Anchor, Card, Code, Group, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useSession } from '../../session/session.ts';

// Commands wrap rather than scroll: a scrolling block would need its own keyboard focus.
const commandStyle = { whiteSpace: 'pre-wrap', wordBreak: 'break-all' } as const;

/** One numbered step of the guide, ticked once it is done. */
function Step({ number, done, title, children }: { number: number; done: boolean; title: string; children: ReactNode }) {
  return (
    <Group component="li" wrap="nowrap" align="flex-start" gap="md" data-step-done={done}>
      <ThemeIcon size={28} radius="xl" color={done ? 'green' : 'blue'} variant={done ? 'filled' : 'light'} aria-hidden>
        {done ? '✓' : number}
      </ThemeIcon>
      <div style={{ minWidth: 0, flex: 1 }}>
        <Text fw={600}>
          {title}
          {done && (
            <Text span c="dimmed" fw={400}>
              {' '}
              (done)
            </Text>
          )}
        </Text>
        {children}
      </div>
    </Group>
  );
}

/**
 * What a fresh install shows instead of empty charts: connect a worker, then submit a build, with
 * the commands and where the docs are. `hasWorker` ticks the first step once one has registered.
 */
export function GettingStarted({ hasWorker }: { hasWorker: boolean }) {
  const { canAct } = useSession();
  const origin = window.location.origin;
  return (
    <Card withBorder component="section" aria-labelledby="getting-started" mt="lg" p="lg">
      <Title order={2} size="h3" id="getting-started">
        No builds yet: get started
      </Title>
      <Text c="dimmed" mt={4} mb="lg">
        Charts of throughput and queue wait appear here once builds run.
      </Text>
      <Stack component="ol" gap="lg" m={0} p={0} style={{ listStyle: 'none' }}>
        <Step number={1} done={hasWorker} title="Connect a worker">
          <Text size="sm">
            Make a WORKER key on the{' '}
            <Anchor component={Link} to="/keys" underline="always">
              API keys
            </Anchor>{' '}
            page, then run the agent on a build machine:
          </Text>
          <Code block mt={6} style={commandStyle}>
            {`node free-agent.mjs worker --server ${origin} \\\n  --key "$WORKER_KEY" --command 'fastlane build'`}
          </Code>
          <Text size="xs" c="dimmed" mt={4}>
            Getting the agent, running it as a service (launchd, systemd) and every option: <Code>docs/worker.md</Code> in the Free Agent
            repository.
          </Text>
        </Step>
        <Step number={2} done={false} title="Submit a build">
          <Text size="sm">
            {canAct ? (
              <>
                Upload a source archive on the{' '}
                <Anchor component={Link} to="/submit" underline="always">
                  Submit
                </Anchor>{' '}
                page, or from a terminal or CI:
              </>
            ) : (
              'Someone with a SUBMITTER key submits from a terminal or CI:'
            )}
          </Text>
          <Code block mt={6} style={commandStyle}>
            {`node free-agent.mjs submit --server ${origin} \\\n  --key "$SUBMITTER_KEY" --platform ios ./my-app`}
          </Code>
          <Text size="xs" c="dimmed" mt={4}>
            Every CLI command: “The CLI” in <Code>docs/worker.md</Code>.
          </Text>
        </Step>
      </Stack>
    </Card>
  );
}
