import type { Command } from 'commander';
import type { Output } from '../../api/contract.js';
import { table } from '../output.js';
import { readJsonFile } from '../read-json.js';
import { action, collect, parseIntOption } from '../run.js';

const describeEnv = (e: Output<'environments.show'> | Output<'environments.create'>) =>
  [
    `environment ${e.name} (tier ${e.tier})`,
    `approvals   ${e.policy.approvals}${e.policy.requirePreviousTier ? ', previous tier required' : ''}, requests expire after ${e.policy.requestTtlHours} h`,
    ...e.policy.requiredSuites.map((s) => `suite       ${s.suite}: ${s.thresholds.map((t) => JSON.stringify(t)).join(' ') || 'results required'}`),
    `secrets     ${e.secrets.join(', ') || '-'}`,
  ].join('\n');

export function registerEnvironments(program: Command): void {
  const env = program.command('env').description('environments: tiers, promotion policy, config overlays, secret references');
  env
    .command('create')
    .description('create an environment with a promotion policy')
    .argument('<name>', 'environment name')
    .requiredOption('--tier <n>', 'tier (0 = first; higher tiers are closer to production)', parseIntOption('--tier', 0, 99))
    .option('--policy <file>', 'policy JSON: {requiredSuites:[{suite,thresholds:[{metric,min,max,maxDrop,maxRise}]}], approvals, requirePreviousTier, requestTtlHours, reviews:{activeVersionDays,approvalDays,rollbackDrillDays,rootExpiryWarnDays}}')
    .option('--approvals <n>', 'approvals needed (overrides the policy file)', parseIntOption('--approvals', 0, 10))
    .option('--require-suite <suite>', 'evaluation suite whose results are required (repeatable)', collect, [])
    .option('--require-previous-tier', 'the version must have been active in the tier below')
    .option('--secret <name>', 'secret reference, resolved on hosts (repeatable)', collect, [])
    .action(
      action(async (ctx, name: string, opts: { tier: number; policy?: string; approvals?: number; requireSuite: string[]; requirePreviousTier?: boolean; secret: string[] }) => {
        const base = (opts.policy ? await readJsonFile(opts.policy) : {}) as Record<string, unknown>;
        const policy = {
          ...base,
          ...(opts.approvals !== undefined ? { approvals: opts.approvals } : {}),
          ...(opts.requirePreviousTier ? { requirePreviousTier: true } : {}),
          ...(opts.requireSuite.length ? { requiredSuites: [...((base.requiredSuites as unknown[]) ?? []), ...opts.requireSuite.map((suite) => ({ suite }))] } : {}),
        };
        const created = await ctx.callWith('environments.create', { name, tier: opts.tier, policy, secrets: opts.secret });
        ctx.out.result(created, () => `created\n${describeEnv(created)}`);
      }),
    );
  env
    .command('list')
    .description('list environments')
    .action(
      action(async (ctx) => {
        const all = await ctx.call('environments.list', {});
        ctx.out.result(all, () => table(all.map((e) => ({ ...e, approvals: e.policy.approvals, suites: e.policy.requiredSuites.map((s) => s.suite) })), ['name', 'tier', 'approvals', 'suites', 'secrets']));
      }),
    );
  env
    .command('show')
    .description('show an environment, its policy and what is active in it')
    .argument('<name>', 'environment name')
    .action(
      action(async (ctx, name: string) => {
        const e = await ctx.call('environments.show', { name });
        ctx.out.result(e, () => `${describeEnv(e)}\n\nactive\n${table(e.active, ['model', 'number', 'digest', 'activatedAt'])}`);
      }),
    );
  env
    .command('policy')
    .description("replace an environment's promotion policy")
    .argument('<name>', 'environment name')
    .requiredOption('--policy <file>', 'policy JSON (as for env create)')
    .action(
      action(async (ctx, name: string, opts: { policy: string }) => {
        const e = await ctx.callWith('environments.setPolicy', { name, policy: await readJsonFile(opts.policy) });
        ctx.out.result(e, () => describeEnv(e));
      }),
    );
  env
    .command('overlay')
    .description("set an environment's config overlay for a model (checked against its config schema)")
    .argument('<name>', 'environment name')
    .requiredOption('--model <model>', 'model name')
    .requiredOption('--config <file>', 'overlay JSON object')
    .action(
      action(async (ctx, name: string, opts: { model: string; config: string }) => {
        const r = await ctx.callWith('environments.setOverlay', { environment: name, model: opts.model, config: await readJsonFile(opts.config) });
        ctx.out.result(r, () => `overlay for ${r.model} in ${r.environment}: ${JSON.stringify(r.config)}`);
      }),
    );
  env
    .command('secrets')
    .description('set the secret references of an environment (names only; values stay on the hosts)')
    .argument('<name>', 'environment name')
    .argument('[secrets...]', 'secret names')
    .action(
      action(async (ctx, name: string, secrets: string[]) => {
        const e = await ctx.call('environments.setSecrets', { name, secrets });
        ctx.out.result(e, () => describeEnv(e));
      }),
    );
}
