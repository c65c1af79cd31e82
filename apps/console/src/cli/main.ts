#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

// With --json, every outcome is one JSON document on stdout: usage mistakes too, not commander's text.
const json = process.argv.slice(2).includes('--json');
try {
  await buildProgram({ json }).parseAsync(process.argv);
} catch (err) {
  // Usage mistakes exit 2, help and version exit 0.
  process.exitCode = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : 1;
  if (json && err instanceof CommanderError && err.exitCode !== 0) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'USAGE', message: err.message.replace(/^error: /, '') } }, null, 2)}\n`);
  }
}
