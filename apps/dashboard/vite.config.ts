// Builds the dashboard into dist/, which the API serves at `/`. Relative asset paths let it be served
// under any prefix; `npx vite` (dev) proxies /v1 to a local API (RNNLAB_API, default :3000).
import { defineConfig, type Plugin } from 'vite';

// The built page runs under a strict policy: no inline script or style, requests to its own origin.
// Only in the build: Vite's dev server injects inline styles for hot reload.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'";

const cspMeta = (): Plugin => ({
  name: 'rnnlab-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
});

export default defineConfig({
  base: './',
  plugins: [cspMeta()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': process.env.RNNLAB_API ?? 'http://127.0.0.1:3000' },
  },
});
