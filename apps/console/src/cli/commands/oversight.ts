import type { Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { listAudit } from '../../registry/audit.js';
import { adoptRegistry } from '../../registry/services/adopt.js';
import { readAnchor, writeAnchor } from '../../registry/services/audit-anchors.js';
import { verifyAuditLog, verifyRegistry } from '../../registry/services/integrity.js';
import { collectGarbage } from '../../registry/services/store-gc.js';
import { listReviews, resolveReview } from '../../registry/services/reviews.js';
import { formatBytes, plural, table } from '../output.js';
import { action, collect, parseIntOption } from '../run.js';

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
    .description('check every event (hash, chain link, sequence, signature) and the head against hosts\' reports and anchors')
    .option('--anchor <file>', 'an anchor from `airlock audit anchor` that the log must still reach (repeatable)', collect, [])
    .action(
      action(async (ctx, opts: { anchor: string[] }) => {
        const { reg, actor } = await ctx.verifier();
        const anchors = await Promise.all(opts.anchor.map((f) => readAnchor(reg, actor, f)));
        const r = verifyAuditLog(reg, actor, anchors);
        if (r.problems.length > 0) {
          if (!ctx.out.json) for (const p of r.problems.slice(1)) process.stderr.write(`problem ${p.code}: ${p.message}\n`);
          const first = r.problems[0]!;
          throw new AirlockError(first.code, first.message, { problems: r.problems });
        }
        ctx.out.result({ ok: true, checked: r.checked, head: r.head, anchors: anchors.length }, () =>
          `audit log intact: ${plural(r.checked, 'event')}, every hash, link and signature checks out; head ${r.head.seq} (${r.head.hash.slice(0, 16)}…)${anchors.length ? `, reaches ${anchors.length} anchor(s)` : ''}`,
        );
      }),
    );
  audit
    .command('anchor')
    .description('write the log\'s current head, signed by you, for an auditor to keep apart from the registry')
    .requiredOption('--out <file>', 'where to write the anchor (a new file, e.g. on removable media)')
    .action(
      action(async (ctx, opts: { out: string }) => {
        const { reg, actor } = await ctx.writer();
        const anchor = await writeAnchor(reg, actor, opts.out);
        ctx.out.result({ ...anchor, path: opts.out }, () => `anchored event ${anchor.head.seq} (${anchor.head.hash.slice(0, 16)}…) signed by ${anchor.by}: ${opts.out}`);
      }),
    );

  audit
    .command('adopt')
    .description('once, for a registry begun before Airlock sealed rows: seal every row as it stands (an admin holding the root key)')
    .action(
      action(async (ctx) => {
        const { reg, actor } = await ctx.writer({ sealed: false });
        const r = adoptRegistry(reg, actor);
        ctx.out.result(r, () => `adopted: ${r.events} earlier events checked; every row is now sealed, and the registry is held to its seals`);
      }),
    );

  program
    .command('verify')
    .description('re-hash the blob store, recompute every version and signed record, hold every row to its seal, verify the audit log')
    .option('--anchor <file>', 'an anchor from `airlock audit anchor` that the log must still reach (repeatable)', collect, [])
    .action(
      action(async (ctx, opts: { anchor: string[] }) => {
        const { reg, actor } = await ctx.verifier();
        const anchors = await Promise.all(opts.anchor.map((f) => readAnchor(reg, actor, f)));
        const bar = ctx.out.progress('verify');
        const report = await verifyRegistry(reg, actor, {
          anchors,
          onProgress: (phase, done, total) => {
            if (phase === 'blobs') bar.update(done, total);
          },
        }).finally(() => bar.stop());
        if (!report.ok) {
          if (!ctx.out.json) for (const p of report.problems) process.stderr.write(`problem ${p.code}: ${p.message}\n`);
          throw new AirlockError('INTEGRITY_FAILED', `${report.problems.length} problem(s) found.`, { problems: report.problems });
        }
        const spare = report.unreferenced.length ? `\n${report.unreferenced.length} blob(s) no version references (left by an interrupted import): \`airlock gc\` removes them` : '';
        ctx.out.result(report, () => `registry intact: ${plural(report.blobs.checked, 'blob')} (${formatBytes(report.blobs.bytes)}) re-hashed, ${plural(report.versions, 'version')}, ${plural(report.rows, 'sealed row')}, ${plural(report.auditEvents, 'audit event')}${spare}`);
      }),
    );

  program
    .command('gc')
    .description('remove blobs no version references (admin)')
    .option('--min-age-minutes <n>', 'keep blobs younger than this, which an import running now may still be adding', parseIntOption('--min-age-minutes', 0, 525_600), 60)
    .action(
      action(async (ctx, opts: { minAgeMinutes: number }) => {
        const { reg, actor } = await ctx.writer();
        const r = await collectGarbage(reg, actor, { minAgeMs: opts.minAgeMinutes * 60_000 });
        ctx.out.result(r, () => `removed ${plural(r.removed, 'unreferenced blob')}, ${formatBytes(r.bytes)}${r.keptYoung ? `; kept ${r.keptYoung} younger than ${opts.minAgeMinutes} min` : ''}`);
      }),
    );
}
