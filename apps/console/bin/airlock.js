#!/usr/bin/env node
// The `airlock` command: runs the built CLI. A launcher that exists before the build, so that npm links
// the command at install time (`npm ci`), and says what to do when the build has not run yet.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('error USAGE: the airlock CLI is not built yet: run `npm run build` in the checkout first.\n');
  process.exit(2);
}
await import(cli.href);
