// Bundles the agent into one JavaScript file with no native dependencies: dist/airlock-agent.js.
// A host needs only Node >= 20 to run it; it never runs `npm install`.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const outfile = new URL('./dist/airlock-agent.js', import.meta.url).pathname;
await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies (tweetnacl) call require(); the ESM bundle provides one.
  banner: { js: "import { createRequire as __airlockRequire } from 'node:module'; const require = __airlockRequire(import.meta.url);" },
});
await chmod(outfile, 0o755);
