import type { Command } from 'commander';
import { resolve } from 'node:path';
import { generateKeyPair, toTimestamp } from '@airlock/shared/common';
import { sealKey, writeKeyFile } from '@airlock/shared/node';
import { initKeys } from '../../registry/trust-setup.js';
import { passphrase } from '../passphrase.js';
import { action, parseIntOption } from '../run.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('signing keys and the root of trust');
  keys
    .command('init')
    .description('create an encrypted signing key and a root.json (v1) that trusts it for every role')
    .requiredOption('--dir <dir>', 'where to write <name>.key and root.json')
    .option('--name <name>', 'file name of the key', 'release')
    .option('--expires-days <days>', 'how long the root stays valid', parseIntOption('--expires-days', 1, 3650), 365)
    .addHelpText('after', '\nThe passphrase comes from AIRLOCK_PASSPHRASE or is asked for on the terminal.')
    .action(
      action(async ({ out }, opts: { dir: string; name: string; expiresDays: number }) => {
        const pass = await passphrase('Passphrase for the new key: ', { confirm: true });
        const result = await initKeys({ dir: opts.dir, name: opts.name, passphrase: pass, expiresAt: toTimestamp(Date.now() + opts.expiresDays * 86_400_000) });
        out.result(result, () =>
          [`key      ${result.keyPath} (id ${result.keyId})`, `root     ${result.rootPath} (version ${result.rootVersion}, expires ${result.expiresAt})`].join('\n'),
        );
      }),
    );
  keys
    .command('new')
    .description('create one encrypted signing key (for instance a new root-key holder\'s), to join a role with `airlock root propose --add`')
    .requiredOption('--out <file>', 'the key file to write (never overwritten)')
    .addHelpText('after', '\nThe passphrase comes from AIRLOCK_PASSPHRASE or is asked for on the terminal.')
    .action(
      action(async ({ out }, opts: { out: string }) => {
        const pass = await passphrase('Passphrase for the new key: ', { confirm: true });
        const file = await sealKey(generateKeyPair(), pass);
        const path = resolve(opts.out);
        await writeKeyFile(path, file);
        out.result({ path, keyId: file.keyid, publicKey: file.publicKey }, () => `key      ${path} (id ${file.keyid})`);
      }),
    );
}
