import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the console talks to a server on :4000; built, the server serves it itself.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
