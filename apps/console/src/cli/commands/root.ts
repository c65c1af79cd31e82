import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AirlockError, assertDraftFollows, ROLE_NAMES, signerFromSecretKey, type RoleName } from '@airlock/shared/common';
import { openKey, readKeyFile, readRootFile } from '@airlock/shared/node';
import { describeDraft, readDraft, signDraftFile, type DraftSummary } from '../../registry/services/root-ceremony.js';
import { table } from '../output.js';
import { passphrase } from '../passphrase.js';
import { action, collect, parseIntOption } from '../run.js';

const roles = (r: { roles: Record<string, { threshold: number; keyIds: string[] }> }) =>
  Object.entries(r.roles).map(([role, v]) => `${role} ${v.threshold}-of-${v.keyIds.length}`).join(', ');

const short = (keyid: string) => `${keyid.slice(0, 16)}…`;

/** ROLE=VALUE, as `--add`, `--remove` and `--threshold` take them. */
function roleAssignment(flag: string, text: string): { role: RoleName; value: string } {
  const at = text.indexOf('=');
  const role = text.slice(0, at);
  if (at < 1 || !(ROLE_NAMES as readonly string[]).includes(role)) {
    throw new AirlockError('USAGE', `${flag} takes ROLE=VALUE with ROLE one of ${ROLE_NAMES.join(', ')}; "${text}" is not.`);
  }
  return { role: role as RoleName, value: text.slice(at + 1) };
}

/** A key joining a role: `user:NAME` or an Airlock key file (only its public half is read). */
async function keyToAdd(text: string): Promise<{ role: RoleName; user: string } | { role: RoleName; publicKey: string }> {
  const { role, value } = roleAssignment('--add', text);
  if (value.startsWith('user:')) return { role, user: value.slice(5) };
  return { role, publicKey: (await readKeyFile(resolve(value))).publicKey };
}

/** A key leaving a role: `user:NAME`, a 64-hex key id or a key file. */
async function keyToRemove(text: string): Promise<{ role: RoleName; user: string } | { role: RoleName; keyId: string }> {
  const { role, value } = roleAssignment('--remove', text);
  if (value.startsWith('user:')) return { role, user: value.slice(5) };
  if (/^[0-9a-f]{64}$/.test(value)) return { role, keyId: value };
  return { role, keyId: (await readKeyFile(resolve(value))).keyid };
}

function describe(d: DraftSummary): string {
  const change = (c: DraftSummary['changes'][number]) =>
    c.kind === 'key-added' ? `+ ${c.role} key ${short(c.keyid!)}`
    : c.kind === 'key-removed' ? `- ${c.role} key ${short(c.keyid!)}`
    : c.kind === 'threshold' ? `~ ${c.role} threshold ${c.from} → ${c.to}`
    : `~ expiry ${c.from} → ${c.to}`;
  const side = (name: string, s: DraftSummary['previous']) => `${name} ${s.signed.length} of ${s.threshold} needed${s.signed.length > 0 ? `: ${s.signed.map(short).join(', ')}` : ''}`;
  return [
    `draft    ${d.path}: root version ${d.previousVersion} → ${d.version} (expires ${d.expiresAt})`,
    `replaces ${d.previousDigest} (compare with your own copy of root version ${d.previousVersion})`,
    ...d.changes.map((c) => `change   ${change(c)}`),
    `signed   ${side(`version ${d.previousVersion}'s root keys`, d.previous)}`,
    `         ${side(`version ${d.version}'s root keys`, d.proposed)}`,
    d.complete ? 'ready    both thresholds met: `airlock root publish` it' : 'waiting  for more root-key holders to `airlock root sign` it',
  ].join('\n');
}

export function registerRoot(program: Command): void {
  const root = program.command('root').description('the root of trust hosts are installed with, and the ceremonies that change it');
  root
    .command('list')
    .description('every root version this registry signed: thresholds per role and expiry')
    .action(
      action(async (ctx) => {
        const all = await ctx.call('roots.list', {});
        ctx.out.result(all, () => table(all.map((r) => ({ version: r.version, expiresAt: r.expiresAt, roles: roles(r) })), ['version', 'expiresAt', 'roles']));
      }),
    );
  root
    .command('export')
    .description('write a root of trust for `airlock-agent init --root FILE` (the newest unless --version)')
    .requiredOption('--out <file>', 'where to write it (a new file)')
    .option('--version <n>', 'which root version', parseIntOption('--version', 1))
    .action(
      action(async (ctx, opts: { out: string; version?: number }) => {
        const r = await ctx.call('roots.export', { out: resolve(opts.out), ...(opts.version === undefined ? {} : { version: opts.version }) });
        ctx.out.result(r, () => `wrote root version ${r.version} (${roles(r)}; expires ${r.expiresAt}) to ${r.path}`);
      }),
    );
  root
    .command('propose')
    .description('write the draft of the next root version for the root-key holders to sign (the registry does not change)')
    .requiredOption('--out <file>', 'the draft to write (a new file; it travels to each signer)')
    .option('--add <role=key>', 'a key joins a role: KEYFILE (its public half) or user:NAME (repeatable)', collect, [])
    .option('--remove <role=key>', 'a key leaves a role: KEYID, KEYFILE or user:NAME (repeatable)', collect, [])
    .option('--threshold <role=n>', "a role's threshold (repeatable)", collect, [])
    .option('--expires-days <days>', 'the new root expires this many days from now (default: as the current root)', parseIntOption('--expires-days', 1, 3650))
    .addHelpText('after', '\nA root key leaves with `--remove root=...`; a role keeps its threshold unless it would hold fewer keys.\nThe draft needs the threshold of the current root\'s keys and of the new root\'s own.')
    .action(
      action(async (ctx, opts: { out: string; add: string[]; remove: string[]; threshold: string[]; expiresDays?: number }) => {
        const thresholds: Partial<Record<RoleName, number>> = {};
        for (const t of opts.threshold) {
          const { role, value } = roleAssignment('--threshold', t);
          if (!/^[1-9][0-9]?$/.test(value)) throw new AirlockError('USAGE', `--threshold ${role}= takes a whole number from 1 to 64; "${value}" is not.`);
          thresholds[role] = Number(value);
        }
        const r = await ctx.call('roots.propose', {
          out: resolve(opts.out),
          add: await Promise.all(opts.add.map(keyToAdd)),
          remove: await Promise.all(opts.remove.map(keyToRemove)),
          thresholds,
          ...(opts.expiresDays === undefined ? {} : { expiresDays: opts.expiresDays }),
        });
        ctx.out.result(r, () => describe(r));
      }),
    );
  root
    .command('sign')
    .description('sign a root draft in place: with a root key file and the root you trust (offline, no registry needed) or, without --key, as the acting user')
    .argument('<draft>', 'the draft file')
    .option('--key <file>', 'a root key file; its passphrase comes from AIRLOCK_PASSPHRASE or a prompt')
    .option('--root <file>', "with --key: your own copy of the current root (`airlock root export`, or a host's): the draft must replace exactly it")
    .action(
      action(async (ctx, draft: string, opts: { key?: string; root?: string }) => {
        let r: DraftSummary;
        if (opts.key) {
          // The draft's own idea of the current root is signed by nobody: the signer brings theirs.
          if (!opts.root) throw new AirlockError('USAGE', 'Signing with --key needs --root FILE, the current root as you hold it, so that the changes shown are the real ones.');
          const { root: trusted } = await readRootFile(resolve(opts.root));
          const file = await readKeyFile(resolve(opts.key));
          const pair = await openKey(file, await passphrase(`Passphrase for the root key ${opts.key}: `));
          r = await signDraftFile(resolve(draft), signerFromSecretKey(pair.secretKey), trusted);
        } else {
          r = await ctx.call('roots.sign', { draft: resolve(draft) });
        }
        ctx.out.result(r, () => describe(r));
      }),
    );
  root
    .command('show')
    .description('what a root draft changes and who has signed it (offline; --root checks it replaces the root you hold)')
    .argument('<draft>', 'the draft file')
    .option('--root <file>', 'your own copy of the current root: the changes are shown against it, or refused')
    .action(
      action(async ({ out }, draft: string, opts: { root?: string }) => {
        const path = resolve(draft);
        const read = await readDraft(path);
        if (opts.root) assertDraftFollows(read, (await readRootFile(resolve(opts.root))).root);
        const r = describeDraft(path, read);
        out.result(r, () => describe(r));
      }),
    );
  root
    .command('publish')
    .description("make a signed draft the registry's newest root; bundles carry it to the hosts from then on")
    .argument('<draft>', 'the draft file')
    .action(
      action(async (ctx, draft: string) => {
        const r = await ctx.call('roots.publish', { draft: resolve(draft) });
        ctx.out.result(r, () => `${describe(r)}\npublished root version ${r.version}: ${r.rootPath}`);
      }),
    );
}
