import { defineConfig } from '@playwright/test';

/** `npm run test:electron`: the real desktop app, where Electron's binary is installed (not part of `npm test`). */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 90_000,
  workers: 1,
  reporter: 'list',
  outputDir: '../.tmp/electron-results',
});
