import { readFileSync, statSync } from 'node:fs';
import { read } from 'read';
import { AirlockError } from '@airlock/shared/common';

/**
 * A passphrase file (`AIRLOCK_PASSPHRASE_FILE`): each person keeps their own, readable by them only,
 * so that several people can work from one shell without sharing a variable. One trailing newline is
 * not part of the passphrase.
 */
function fromFile(path: string, envVar: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new AirlockError('IO_ERROR', `${envVar} names ${path}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if ((mode & 0o077) !== 0) throw new AirlockError('USAGE', `${path} (${envVar}) can be read by others: run \`chmod 600 ${path}\` and try again.`);
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

/** A passphrase: from an environment variable or a passphrase file for scripts, otherwise asked on the terminal without echo. */
export async function passphrase(prompt: string, opts: { confirm?: boolean; envVar?: string } = {}): Promise<string> {
  const envVar = opts.envVar ?? 'AIRLOCK_PASSPHRASE';
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined) return fromEnv;
  const file = process.env[`${envVar}_FILE`];
  if (file !== undefined) return fromFile(file, `${envVar}_FILE`);
  if (!process.stdin.isTTY) {
    throw new AirlockError('USAGE', `A passphrase is needed and there is no terminal to ask on: set ${envVar} or ${envVar}_FILE.`);
  }
  const first = await ask(prompt);
  if (opts.confirm) {
    const again = await ask('Repeat passphrase: ');
    if (again !== first) throw new AirlockError('USAGE', 'The passphrases do not match.');
  }
  return first;
}

/** Asks on the terminal without echo; Ctrl-C or Ctrl-D there cancels the command (exit 130). */
async function ask(prompt: string): Promise<string> {
  try {
    return await read({ prompt, silent: true, replace: '', output: process.stderr });
  } catch {
    process.stderr.write('\n');
    throw new AirlockError('CANCELLED', 'Cancelled at the passphrase prompt; nothing was changed.');
  }
}
