import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const at = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export default defineConfig({
  root: at(''),
  resolve: {
    // Tests run the TypeScript sources; the built packages are what the CLIs run.
    alias: {
      '@airlock/shared/common': at('shared/src/common/index.ts'),
      '@airlock/shared/node': at('shared/src/node/index.ts'),
    },
  },
  test: {
    include: ['shared/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'apps/console/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', at('test/helpers/summary-reporter.ts')],
  },
});
