import { useState } from 'react';

/** Asks for the API key the console acts with (kept in this browser only). */
export function KeyForm({ onKey }: { onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      style={{ fontFamily: 'system-ui', maxWidth: 480, margin: '4rem auto' }}
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim()) onKey(value.trim());
      }}
    >
      <h1>Free Agent</h1>
      <label>
        API key
        <input
          aria-label="API key"
          type="password"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          style={{ display: 'block', width: '100%', marginTop: 8 }}
        />
      </label>
      <button type="submit" style={{ marginTop: 12 }}>
        Open console
      </button>
    </form>
  );
}
