import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * One bundle for both transports: relative asset URLs, so the same files load from `app://console/`
 * in the desktop window and from the loopback server's `/`. No inline scripts or styles: the CSP of
 * both allows only the app's own files. The build prints each file's size, gzipped too.
 */
export default defineConfig({
  root: fileURLToPath(new URL('src/renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('dist/renderer', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2023',
  },
});
