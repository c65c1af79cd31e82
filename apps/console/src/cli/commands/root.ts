import type { Command } from 'commander';
import { resolve } from 'node:path';
import { table } from '../output.js';
import { action, parseIntOption } from '../run.js';

const roles = (r: { roles: Record<string, { threshold: number; keyIds: string[] }> }) =>
  Object.entries(r.roles).map(([role, v]) => `${role} ${v.threshold}-of-${v.keyIds.length}`).join(', ');

export function registerRoot(program: Command): void {
  const root = program.command('root').description('the root of trust hosts are installed with');
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
}
