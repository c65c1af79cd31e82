import type { Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { assertAuditChain, listAudit } from '../../registry/audit.js';
import { verifyRegistry } from '../../registry/services/integrity.js';
import { listReviews, resolveReview } from '../../registry/services/reviews.js';
import { table } from '../output.js';
import { action, parseIntOption } from '../run.js';

export function registerOversight(program: Command): void {
  const review = program.command('review').description('review items opened by rollbacks, revocations and host reports');
  review
    .command('list')
    .description('list open review items')
    .option('--all', 'include resolved items')
    .action(
      action(async (ctx, opts: { all?: boolean }) => {
        const { reg, actor } = await ctx.reader();
        const rows = listReviews(reg, actor, opts);
        ctx.out.result(rows, () => table(rows, ['id', 'kind', 'subject', 'openedAt', 'resolvedAt', 'detail']));
      }),
    );
  review
    .command('resolve')
    .description('resolve a review item, saying what was done')
    .argument('<id>', 'review item id')
    .requiredOption('--note <text>', 'what was done')
    .action(
      action(async (ctx, id: string, opts: { note: string }) => {
        const { reg, actor } = await ctx.writer();
        const r = resolveReview(reg, actor, parseIntOption('review id', 1)(id), opts.note);
        ctx.out.result(r, () => `resolved review item #${r.id} (${r.kind} ${r.subject})`);
      }),
    );

  const audit = program.command('audit').description('the signed, hash-chained audit log');
  audit
    .command('list')
    .description('recent audit events, newest first')
    .option('--subject <subject>', 'e.g. version:iris@2, promotion:3, env:prod')
    .option('--actor <user>', 'events by this user')
    .option('--limit <n>', 'how many', parseIntOption('--limit', 1, 100_000), 50)
    .action(
      action(async (ctx, opts: { subject?: string; actor?: string; limit: number }) => {
        const { reg } = await ctx.reader();
        const rows = listAudit(reg, opts);
        ctx.out.result(rows, () => table(rows.map((r) => ({ ...r, details: JSON.stringify(r.details).slice(0, 80) })), ['seq', 'at', 'actor', 'action', 'subject', 'details']));
      }),
    );
  audit
    .command('verify')
    .description('check every event: hash, chain link, sequence and signature; names the first bad event')
    .action(
      action(async (ctx) => {
        const { reg } = await ctx.reader();
        const checked = assertAuditChain(reg);
        ctx.out.result({ ok: true, checked }, () => `audit log intact: ${checked} events, every hash, link and signature checks out`);
      }),
    );

  program
    .command('verify')
    .description('re-hash the blob store, check every version against its components, verify the audit log')
    .action(
      action(async (ctx) => {
        const { reg, actor } = await ctx.reader();
        const bar = ctx.out.progress('verify');
        const report = await verifyRegistry(reg, actor, (phase, done, total) => {
          if (phase === 'blobs') bar.update(done, total);
        }).finally(() => bar.stop());
        if (!report.ok) {
          if (!ctx.out.json) for (const p of report.problems) process.stderr.write(`problem ${p.code}: ${p.message}\n`);
          throw new AirlockError('INTEGRITY_FAILED', `${report.problems.length} problem(s) found.`, { problems: report.problems });
        }
        ctx.out.result(report, () => `registry intact: ${report.blobs.checked} blobs (${report.blobs.bytes} bytes) re-hashed, ${report.versions} versions, ${report.auditEvents} audit events`);
      }),
    );
}
