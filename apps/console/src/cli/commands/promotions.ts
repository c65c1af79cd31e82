import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../../api/contract.js';
import { MAX_VALID_HOURS } from '../../api/calls/fleet.js';
import type { CommandContext } from '../run.js';
import { table } from '../output.js';
import { action, parseIntOption } from '../run.js';

/** A call that was recorded but refused (gates failed, evidence changed) prints why and exits 1. */
function report(ctx: CommandContext, r: Output<'promotions.request'>, verb: string): void {
  const p = r.promotion;
  const human = () => `${verb} promotion #${p.id}: ${p.version} → ${p.environment}, now ${p.state.replace('_', ' ')}`;
  if (r.outcome === 'refused') process.exitCode = ctx.out.refused(r, r.refusal, human);
  else ctx.out.result(r, human);
}

const idArg = parseIntOption('promotion id', 1);

/** Whom an authorisation names, in words. */
const targetsOf = (a: { targets: { environment?: string | undefined; hosts: string[] } }) =>
  [...(a.targets.environment ? [`environment ${a.targets.environment}`] : []), ...(a.targets.hosts.length ? [`hosts ${a.targets.hosts.join(', ')}`] : [])].join(' and ');

export function registerPromotions(program: Command): void {
  const promote = program.command('promote').description('promotion requests, approvals and their evidence');
  promote
    .command('request')
    .description("request promotion of a version to an environment; gates are evaluated and stored as evidence")
    .argument('<ref>', 'NAME@N')
    .requiredOption('--env <env>', 'environment')
    .action(
      action(async (ctx, ref: string, opts: { env: string }) => {
        report(ctx, await ctx.call('promotions.request', { ref, environment: opts.env }), 'requested');
      }),
    );
  for (const decision of ['approve', 'reject'] as const) {
    promote
      .command(decision)
      .description(`${decision} a promotion (your signature covers its evidence)`)
      .argument('<id>', 'promotion id')
      .option('--note <text>', 'why', '')
      .action(
        action(async (ctx, id: string, opts: { note: string }) => {
          report(ctx, await ctx.call('promotions.decide', { id: idArg(id), decision, note: opts.note }), decision === 'approve' ? 'approved;' : 'rejected;');
        }),
      );
  }
  promote
    .command('withdraw')
    .description('withdraw an open promotion request')
    .argument('<id>', 'promotion id')
    .option('--reason <text>', 'why', '')
    .action(
      action(async (ctx, id: string, opts: { reason: string }) => {
        report(ctx, await ctx.call('promotions.withdraw', { id: idArg(id), reason: opts.reason }), 'withdrew');
      }),
    );
  promote
    .command('status')
    .description('list promotions, or show one with its gates and approvals')
    .argument('[id]', 'promotion id')
    .option('--env <env>', 'only this environment')
    .option('--model <model>', 'only this model')
    .option('--open', 'only open requests')
    .action(
      action(async (ctx, id: string | undefined, opts: { env?: string; model?: string; open?: boolean }) => {
        if (id === undefined) {
          const rows = await ctx.call('promotions.list', { ...(opts.env ? { environment: opts.env } : {}), ...(opts.model ? { model: opts.model } : {}), open: opts.open ?? false });
          ctx.out.result(rows, () => table(rows, ['id', 'version', 'environment', 'state', 'requestedBy', 'requestedAt', 'breakGlass']));
          return;
        }
        const p = await ctx.call('promotions.show', { id: idArg(id) });
        ctx.out.result(p, () => {
          const gates = 'gates' in p.evidence ? p.evidence.gates : [];
          return [
            `promotion #${p.id}: ${p.version} → ${p.environment}  ${p.state}${p.breakGlass ? '  (break glass)' : ''}`,
            `requested ${p.requestedAt} by ${p.requestedBy}; evidence ${p.evidenceDigest}`,
            '',
            table(gates.map((g) => ({ ...g, passed: g.passed ? 'pass' : 'FAIL' })), ['gate', 'passed', 'detail']),
            '',
            table(p.approvals, ['approver', 'decision', 'at']),
          ].join('\n');
        });
      }),
    );

  program
    .command('rollback')
    .description('break glass: make the previously active version active again and open a review item')
    .argument('<model>', 'model name')
    .requiredOption('--env <env>', 'environment')
    .requiredOption('--reason <text>', 'why (recorded, and put in the review item)')
    .action(
      action(async (ctx, model: string, opts: { env: string; reason: string }) => {
        const r = await ctx.call('promotions.rollback', { model, environment: opts.env, reason: opts.reason });
        ctx.out.result(r, () => `rolled back: ${r.promotion.version} is active in ${r.promotion.environment} (promotion #${r.promotion.id}); review item #${r.reviewId} opened`);
      }),
    );

  program
    .command('authorise-rollback')
    .description("sign a one-time permission for hosts to roll a slot back to VERSION below its security floor (airlock-agent rollback --authorisation FILE)")
    .argument('<version>', 'NAME@N: the version the hosts may go back to')
    .option('--env <env>', 'hosts of this environment')
    .option('--hosts <ids>', 'comma-separated host ids')
    .option('--slot <slot>', 'slot on the hosts (default: the model name)')
    .requiredOption('--reason <text>', 'why (signed into the authorisation and recorded)')
    .option('--valid-for <hours>', 'hours until it expires', parseIntOption('--valid-for', 1, MAX_VALID_HOURS), 24)
    .requiredOption('--out <file>', 'file to write the signed authorisation to')
    .action(
      action(async (ctx, version: string, opts: { env?: string; hosts?: string; slot?: string; reason: string; validFor: number; out: string }) => {
        const a = await ctx.call('rollbacks.authorise', {
          version,
          reason: opts.reason,
          validHours: opts.validFor,
          out: resolve(opts.out),
          ...(opts.env ? { environment: opts.env } : {}),
          ...(opts.hosts ? { hosts: opts.hosts.split(',').filter(Boolean) } : {}),
          ...(opts.slot ? { slot: opts.slot } : {}),
        });
        const who = targetsOf(a);
        ctx.out.result(a, () => `authorisation ${a.id}: ${who} may take slot ${a.slot} back to ${a.model}@${a.version} once, until ${a.expiresAt}; written to ${a.file}`);
      }),
    );

  program
    .command('cosign-rollback')
    .description('add your approver signature to a rollback authorisation (in place), when the root needs more than one approver')
    .argument('<file>', 'the authorisation from `airlock authorise-rollback`')
    .action(
      action(async (ctx, file: string) => {
        const a = await ctx.call('rollbacks.cosign', { path: resolve(file) });
        const who = targetsOf(a);
        ctx.out.result(a, () =>
          [
            `co-signed authorisation ${a.id}, issued by ${a.issuedBy}: ${who} may take slot ${a.slot} back to ${a.model}@${a.version} (${a.versionDigest}) once, until ${a.expiresAt}`,
            `reason   ${a.reason}`,
            `signed   ${a.signatures} of the ${a.threshold} approver signature(s) hosts need${a.signatures >= a.threshold ? '' : '; another approver must co-sign it'}; written to ${a.file}`,
          ].join('\n'),
        );
      }),
    );
}
