// Bundles the preload into one CommonJS file: Electron loads sandboxed preloads as CommonJS only, and a
// sandboxed preload may require nothing but 'electron'.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./src/preload/preload.ts', import.meta.url).pathname],
  bundle: true,
  platform: 'browser',
  format: 'cjs',
  target: 'chrome130',
  external: ['electron'],
  outfile: new URL('./dist/preload/preload.cjs', import.meta.url).pathname,
  legalComments: 'none',
  logLevel: 'warning',
});
