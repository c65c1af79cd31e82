import type { Command } from 'commander';
import { decidePromotion, listPromotions, requestPromotion, rollback, showPromotion, withdrawPromotion, type PromotionResult } from '../../registry/services/promotions.js';
import type { CommandContext } from '../run.js';
import { table } from '../output.js';
import { action, parseIntOption } from '../run.js';

/** A call that was recorded but refused (gates failed, evidence changed) prints why and exits 1. */
function report(ctx: CommandContext, r: PromotionResult, verb: string): void {
  const p = r.promotion;
  ctx.out.result(r, () => `${verb} promotion #${p.id}: ${p.version} → ${p.environment} is ${p.state.replace('_', ' ')}${r.refused ? `\n${r.refused.code}: ${r.refused.message}` : ''}`);
  if (r.refused) process.exitCode = 1;
}

const idArg = parseIntOption('promotion id', 1);

export function registerPromotions(program: Command): void {
  const promote = program.command('promote').description('promotion requests, approvals and their evidence');
  promote
    .command('request')
    .description("request promotion of a version to an environment; gates are evaluated and stored as evidence")
    .argument('<ref>', 'NAME@N')
    .requiredOption('--env <env>', 'environment')
    .action(
      action(async (ctx, ref: string, opts: { env: string }) => {
        const { reg, actor } = await ctx.writer();
        report(ctx, await requestPromotion(reg, actor, ref, opts.env), 'requested');
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
          const { reg, actor } = await ctx.writer();
          report(ctx, await decidePromotion(reg, actor, idArg(id), decision, opts.note), decision === 'approve' ? 'approved;' : 'rejected;');
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
        const { reg, actor } = await ctx.writer();
        report(ctx, withdrawPromotion(reg, actor, idArg(id), opts.reason), 'withdrew');
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
        const { reg, actor } = await ctx.reader();
        if (id === undefined) {
          const rows = listPromotions(reg, actor, opts);
          ctx.out.result(rows, () => table(rows, ['id', 'version', 'environment', 'state', 'requestedBy', 'requestedAt', 'breakGlass']));
          return;
        }
        const p = showPromotion(reg, actor, idArg(id));
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
        const { reg, actor } = await ctx.writer();
        const r = rollback(reg, actor, model, opts.env, opts.reason);
        ctx.out.result(r, () => `rolled back: ${r.promotion.version} is active in ${r.promotion.environment} (promotion #${r.promotion.id}); review item #${r.reviewId} opened`);
      }),
    );
}
