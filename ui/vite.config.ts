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
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
