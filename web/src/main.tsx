import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { createClient, storedKey, storeKey } from './client.ts';
import { KeyForm } from './components/KeyForm.tsx';
import { Overview } from './pages/Overview.tsx';

function App() {
  const [key, setKey] = useState(storedKey());
  const client = useMemo(() => createClient(key), [key]);
  if (!key) {
    return (
      <KeyForm
        onKey={(value) => {
          storeKey(value);
          setKey(value);
        }}
      />
    );
  }
  return (
    <Provider value={client}>
      <Overview />
    </Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
