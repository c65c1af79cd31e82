#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Commander has printed its message; usage mistakes exit 2, help and version exit 0.
  process.exitCode = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : 1;
}
