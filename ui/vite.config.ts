import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// The Tauri CLI runs this from the repository root; everything is relative to ui/.
export default defineConfig({
  root,
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12, Ubuntu 22.04 backports) handles ES2021.
    target: 'es2021',
  },
  test: {
    projects: [
      {
        // Screens rendered to HTML on the server, and plain TypeScript: no DOM.
        extends: true,
        test: { name: 'html', include: ['src/**/*.test.ts'], exclude: ['src/**/*.dom.test.ts'], environment: 'node' },
      },
      {
        // Components mounted in a DOM, for what HTML alone cannot show: clicks,
        // typing, what a bound value becomes. Svelte's browser build runs them.
        extends: true,
        resolve: { conditions: ['browser'] },
        test: { name: 'dom', include: ['src/**/*.dom.test.ts'], environment: 'happy-dom' },
      },
    ],
  },
});
