import { Box, Button } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { EmptyState } from '../components/EmptyState.tsx';
import { PageHeader } from '../components/PageHeader.tsx';

/** Any URL the console does not know. */
export function NotFoundPage() {
  return (
    <Box py="md">
      <PageHeader title="Page not found" />
      <EmptyState
        title="There is no page at this address"
        description="The link may be mistyped, or from a newer version of the console."
        action={
          <Button component={Link} to="/" variant="light">
            Go to the dashboard
          </Button>
        }
      />
    </Box>
  );
}
