import { ActionIcon, Anchor, AppShell, Badge, Box, Burger, Button, Group, NavLink, Stack, Text, Tooltip } from '@mantine/core';
import { useDisclosure, useReducedMotion } from '@mantine/hooks';
import { Link, Outlet, useLocation, useNavigate } from '@tanstack/react-router';
import { useMemo } from 'react';
import { KeyboardIcon, LogOutIcon } from '../components/icons.tsx';
import { useShortcuts, type ShortcutActions } from '../keyboard/shortcuts.ts';
import { signOut, useSession } from '../session/session.ts';
import { ConnectionIndicator } from './ConnectionIndicator.tsx';
import { LiveUpdatesSwitch } from './LiveUpdatesSwitch.tsx';
import { isInSection, navigationItems } from './navigation.ts';
import { ShortcutsModal } from './ShortcutsModal.tsx';

/**
 * The signed-in console around every page: header (brand, connection, live updates, shortcuts),
 * navigation (a burger menu at phone width) with who is signed in and sign-out, and the page.
 */
export function AppLayout() {
  const session = useSession();
  const [navigationOpened, navigation] = useDisclosure(false);
  const [shortcutsOpened, shortcutsDialog] = useDisclosure(false);
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const actions = useMemo<ShortcutActions>(
    () => ({ navigate: (to) => void navigate({ to }), showShortcuts: shortcutsDialog.open }),
    [navigate, shortcutsDialog.open],
  );
  useShortcuts(actions);
  // AppShell's own slide does not follow the theme's respectReducedMotion.
  const reducedMotion = useReducedMotion();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navigationOpened } }}
      padding="md"
      transitionDuration={reducedMotion ? 0 : 200}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navigationOpened}
              onClick={navigation.toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navigationOpened ? 'Close navigation' : 'Open navigation'}
              aria-expanded={navigationOpened}
              aria-controls="main-navigation"
            />
            <Anchor component={Link} to="/" fw={700} size="lg" c="var(--mantine-color-text)" underline="never">
              Free Agent
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <ConnectionIndicator />
            <LiveUpdatesSwitch />
            <Tooltip label="Keyboard shortcuts (?)">
              <ActionIcon variant="subtle" color="gray" aria-label="Keyboard shortcuts" onClick={shortcutsDialog.open} visibleFrom="sm">
                <KeyboardIcon />
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" id="main-navigation" aria-label="Main">
        <AppShell.Section grow component="nav" aria-label="Pages">
          {navigationItems
            .filter((item) => !item.requires || session[item.requires])
            .map((item) => (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={item.label}
                active={isInSection(item, pathname)}
                aria-current={isInSection(item, pathname) ? 'page' : undefined}
                onClick={navigation.close}
              />
            ))}
        </AppShell.Section>
        <AppShell.Section>
          <Stack gap="xs" p="xs">
            <Box>
              <Text size="sm" fw={500} truncate="end" title={session.name}>
                {session.name}
              </Text>
              <Badge size="xs" variant="outline" color="gray" radius="sm">
                {session.role}
                {!session.canAct && ' · read-only'}
              </Badge>
            </Box>
            <Button variant="default" size="xs" leftSection={<LogOutIcon size={16} />} onClick={() => signOut()}>
              Sign out
            </Button>
          </Stack>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
      <ShortcutsModal opened={shortcutsOpened} onClose={shortcutsDialog.close} />
    </AppShell>
  );
}
