import { RouterProvider } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { Provider } from 'urql';
import { Loading } from './components/Loading.tsx';
import { createConsoleClient, type ConsoleClient } from './graphql/client.ts';
import { router } from './router.tsx';
import { signOut, useSessionState } from './session/session.ts';

/** A signed-in key's GraphQL client; a new one (empty cache, new socket) for every key. */
function useConsoleClient(key: string | undefined): (ConsoleClient & { key: string }) | null {
  const [current, setCurrent] = useState<(ConsoleClient & { key: string }) | null>(null);
  useEffect(() => {
    if (!key) {
      setCurrent(null);
      return undefined;
    }
    const consoleClient = createConsoleClient({ key, onRefused: signOut });
    setCurrent({ ...consoleClient, key });
    return () => consoleClient.dispose();
  }, [key]);
  return current?.key === key ? current : null;
}

/** The console: the router, with the signed-in key's client around it. */
export function App() {
  const { session } = useSessionState();
  const consoleClient = useConsoleClient(session?.key);
  // The sign-in page needs no client (it checks keys on its own); pages behind it wait for one.
  if (session && !consoleClient) return <Loading label="Connecting…" />;
  if (!consoleClient) return <RouterProvider router={router} />;
  return (
    <Provider value={consoleClient.client}>
      <RouterProvider router={router} />
    </Provider>
  );
}
