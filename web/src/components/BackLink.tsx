import { Anchor } from '@mantine/core';
import { Link, type LinkProps } from '@tanstack/react-router';

/** "← Builds": back to the list a detail page belongs to, above its title. */
export function BackLink({ to, children }: { to: LinkProps['to']; children: string }) {
  return (
    <Anchor component={Link} to={to} size="sm" mb={4} display="inline-block">
      ← {children}
    </Anchor>
  );
}
