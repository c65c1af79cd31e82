import { resolve } from 'node:path';
import type { Command } from 'commander';
import { initRegistry } from '../../registry/services/init.js';
import { parseRoles } from '../../registry/services/users.js';
import { table } from '../output.js';
import { passphrase } from '../passphrase.js';
import { action, parseIntOption } from '../run.js';

export function registerRegistryAdmin(program: Command): void {
  program
    .command('init')
    .description('create a registry: database, blob store, admin user and root of trust (root.json v1)')
    .requiredOption('--admin <name>', 'name of the first user, who holds every role and the root key')
    .option('--root-threshold <n>', 'root signatures needed to change the root of trust', parseIntOption('--root-threshold', 1, 16), 1)
    .option('--extra-root-keys <n>', 'additional offline root keys written to <home>/keys', parseIntOption('--extra-root-keys', 0, 15), 0)
    .option('--root-expires-days <days>', 'validity of root.json v1', parseIntOption('--root-expires-days', 1, 3650), 365)
    .addHelpText('after', '\nThe admin passphrase comes from AIRLOCK_PASSPHRASE or is asked for on the terminal.')
    .action(
      action(async (ctx, opts: { admin: string; rootThreshold: number; extraRootKeys: number; rootExpiresDays: number }) => {
        const pass = await passphrase(`Passphrase for ${opts.admin}: `, { confirm: true });
        const { reg, result } = await initRegistry(ctx.home, { admin: opts.admin, passphrase: pass, rootThreshold: opts.rootThreshold, extraRootKeys: opts.extraRootKeys, rootExpiresDays: opts.rootExpiresDays });
        reg.close();
        ctx.out.result(result, () =>
          [
            `registry ${result.home}`,
            `admin    ${result.admin.name} (key ${result.admin.keyId.slice(0, 16)}…)`,
            `root     version 1, ${result.root.rootThreshold}-of-${result.root.rootKeys} root keys, expires ${result.root.expiresAt}: ${result.root.path}`,
            ...result.extraKeyFiles.map((f) => `offline  ${f} (move it to offline storage)`),
          ].join('\n'),
        );
      }),
    );

  const user = program.command('user').description('users, their roles and keys');
  user
    .command('add')
    .description('add a user with their own encrypted signing key')
    .argument('<name>', 'user name')
    .requiredOption('--role <roles>', 'comma-separated: admin, ml-engineer, approver, operator, auditor')
    .addHelpText('after', "\nThe new user's passphrase comes from AIRLOCK_NEW_PASSPHRASE or is asked for on the terminal.")
    .action(
      action(async (ctx, name: string, opts: { role: string }) => {
        const roles = parseRoles(opts.role);
        // The acting admin's passphrase is asked for first, then the new person's.
        await ctx.signIn();
        const pass = await passphrase(`Passphrase for the new user ${name}: `, { confirm: true, envVar: 'AIRLOCK_NEW_PASSPHRASE' });
        const added = await ctx.call('users.add', { name, roles, passphrase: pass });
        ctx.out.result(added, () =>
          [
            `added    ${added.name} (${added.roles.join(', ')}), key ${added.keyId.slice(0, 16)}…`,
            ...(added.pendingRootRoles.length > 0
              ? [`pending  the root needs more than one signature, so the key joins ${added.pendingRootRoles.join(' and ')} through a ceremony: airlock root propose ${added.pendingRootRoles.map((r) => `--add ${r}=user:${added.name}`).join(' ')} --out DRAFT`]
              : []),
          ].join('\n'),
        );
      }),
    );
  user
    .command('revoke')
    .description("someone leaves: disable their account and drop their key from the root of trust's roles")
    .argument('<name>', 'user name')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--draft <file>', "when the root needs more than your signature: where to write the ceremony's draft")
    .action(
      action(async (ctx, name: string, opts: { reason: string; draft?: string }) => {
        const r = await ctx.call('users.revoke', { name, reason: opts.reason, ...(opts.draft ? { draft: resolve(opts.draft) } : {}) });
        ctx.out.result(r, () =>
          [
            `revoked  ${r.name}: signs nothing from now on`,
            r.rootVersion !== null ? `root     version ${r.rootVersion} drops the key from ${r.rootRoles.join(' and ')}; hosts refuse what it signs once a bundle carries it there` : null,
            r.draft ? `draft    ${r.draft} drops the key from ${r.rootRoles.join(' and ')}: root-key holders \`airlock root sign\` it, then \`airlock root publish\`` : null,
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );
  user
    .command('list')
    .description('list users and their roles')
    .action(
      action(async (ctx) => {
        const all = await ctx.call('users.list', {});
        ctx.out.result(all, () => table(all.map((u) => ({ ...u, keyId: u.keyId.slice(0, 16) })), ['name', 'roles', 'keyId', 'createdAt', 'disabled']));
      }),
    );
}
