import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev` serves the console with hot reload and forwards the API (HTTP and the graphql-ws
// socket) and artifact downloads to a running server: FREE_AGENT_URL, or :4000. Built, the
// server serves web/dist itself.
const server = process.env.FREE_AGENT_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/graphql': { target: server, ws: true, changeOrigin: true },
      '/artifacts': { target: server, changeOrigin: true },
    },
  },
  build: {
    // dist/.vite/manifest.json lists each chunk's imports: scripts/consoleBundleSize.ts reads it to
    // add up what a first visit to each page loads (each route is its own chunk, router.tsx).
    manifest: true,
    // The entry chunk (React, Mantine, the router, urql) is over Vite's 500 kB warning before
    // compression; the budget that matters, 300 KB gzipped per first load, is tested instead.
    chunkSizeWarningLimit: 700,
  },
});
