import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard build: `vite build --config web/vite.config.ts` writes web/dist, which the Refit
 * server serves at `/`. JSX goes through esbuild's automatic runtime (no React plugin needed).
 * `vite --config web/vite.config.ts` serves it with hot reload, sending the API to a Refit
 * server on REFIT_URL (default http://127.0.0.1:8080).
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      onwarn(warning, warn) {
        // TanStack Query's "use client" markers mean nothing in a plain client bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': { target: process.env.REFIT_URL ?? 'http://127.0.0.1:8080', changeOrigin: true } },
  },
});
