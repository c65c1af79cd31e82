#!/usr/bin/env node
// The `airlock-agent` command in a checkout: runs the bundled agent. A launcher that exists before the
// build, so that npm links the command at install time, and says what to do when the build has not run.
// Hosts run agent/dist/airlock-agent.js itself, a single file.
import { existsSync } from 'node:fs';

const agent = new URL('../dist/airlock-agent.js', import.meta.url);
if (!existsSync(agent)) {
  process.stderr.write('error USAGE: the agent is not built yet: run `npm run build` in the checkout first.\n');
  process.exit(2);
}
await import(agent.href);
