import { read } from 'read';
import { AirlockError } from '@airlock/shared/common';

/** A key passphrase: from an environment variable for scripts, otherwise asked on the terminal without echo. */
export async function passphrase(prompt: string, opts: { confirm?: boolean; envVar?: string } = {}): Promise<string> {
  const envVar = opts.envVar ?? 'AIRLOCK_PASSPHRASE';
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new AirlockError('USAGE', `A passphrase is needed and there is no terminal to ask on: set ${envVar}.`);
  }
  const first = await read({ prompt, silent: true, replace: '' , output: process.stderr });
  if (opts.confirm) {
    const again = await read({ prompt: 'Repeat passphrase: ', silent: true, replace: '', output: process.stderr });
    if (again !== first) throw new AirlockError('USAGE', 'The passphrases do not match.');
  }
  return first;
}
