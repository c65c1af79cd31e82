import { InvalidArgumentError, type Command } from 'commander';
import { Output } from './output.js';

/**
 * Wraps a command's action: builds the Output from the global --json flag, and turns any error into
 * a printed code and an exit code, so commands only parse, call a service and print.
 */
export function action<A extends unknown[]>(fn: (out: Output, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    const out = new Output(Boolean(this.optsWithGlobals().json));
    try {
      await fn(out, ...args);
    } catch (err) {
      process.exitCode = out.error(err);
    }
  };
}

export function parseIntOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}
