import { Option, type Command } from 'commander';
import { DRIFT_DECISIONS, type DriftDecision } from '../../api/enums.js';
import { AirlockError } from '@airlock/shared/common';
import { resolve } from 'node:path';
import { formatBytes, plural, table } from '../output.js';
import { action, collect, parseIntOption } from '../run.js';

export function registerOversight(program: Command): void {
  const review = program.command('review').description('review items opened by rollbacks, revocations, host reports and the review calendar');
  review
    .command('list')
    .description('list open review items')
    .option('--all', 'include resolved items')
    .action(
      action(async (ctx, opts: { all?: boolean }) => {
        const rows = await ctx.call('reviews.list', { all: opts.all ?? false });
        ctx.out.result(rows, () => table(rows, ['id', 'kind', 'subject', 'openedAt', 'resolvedAt', 'detail']));
      }),
    );
  review
    .command('due')
    .description("what the environments' review policies make due: overdue (with its review item) or coming due")
    .option('--env <name>', 'only this environment')
    .option('--within <days>', 'also what comes due within this many days', parseIntOption('--within', 0, 3650), 14)
    .action(
      action(async (ctx, opts: { env?: string; within: number }) => {
        const rows = await ctx.call('reviews.due', { withinDays: opts.within, ...(opts.env ? { env: opts.env } : {}) });
        ctx.out.result(rows, () =>
          rows.length === 0
            ? `nothing due within ${plural(opts.within, 'day')}`
            : table(rows.map((r) => ({ ...r, when: r.overdue ? `overdue since ${r.dueAt.slice(0, 10)}` : `due ${r.dueAt.slice(0, 10)}`, review: r.reviewId === null ? '' : `#${r.reviewId}` })), ['when', 'kind', 'subject', 'review', 'detail']),
        );
      }),
    );
  review
    .command('resolve')
    .description('resolve a review item, saying what was done')
    .argument('<id>', 'review item id')
    .requiredOption('--note <text>', 'what was done')
    .addOption(new Option('--decision <decision>', 'for drift items: accept the drift, request retraining, or confirm a rollback').choices(DRIFT_DECISIONS))
    .action(
      action(async (ctx, id: string, opts: { note: string; decision?: DriftDecision }) => {
        const r = await ctx.call('reviews.resolve', { id: parseIntOption('review id', 1)(id), note: opts.note, ...(opts.decision ? { decision: opts.decision } : {}) });
        ctx.out.result(r, () => `resolved review item #${r.id} (${r.kind} ${r.subject})`);
      }),
    );

  const report = program.command('report').description('compliance reports: what happened in an environment, signed by who issued them');
  report
    .command('compliance')
    .description("write an environment's compliance report (.html, reproducible; or .pdf through Chromium) and FILE.sig.json beside it")
    .requiredOption('--env <name>', 'the environment')
    .option('--since <time>', 'only what happened at or after this ISO time')
    .requiredOption('--out <file>', 'FILE.html or FILE.pdf (a new file)')
    .action(
      action(async (ctx, opts: { env: string; since?: string; out: string }) => {
        const r = await ctx.call('compliance.issue', { environment: opts.env, out: resolve(opts.out), ...(opts.since ? { since: opts.since } : {}) });
        ctx.out.result(r, () =>
          [
            `wrote    ${r.path} (${r.format}, ${r.digest})`,
            `signed   ${r.signature} by ${r.issuedBy}`,
            `as of    audit event ${r.asOf.seq}${r.since ? `, since ${r.since}` : ''}`,
            r.problems > 0 ? `warning  the audit chain has ${plural(r.problems, 'problem')}: the report says which` : 'audit    intact',
          ].join('\n'),
        );
      }),
    );
  report
    .command('verify')
    .description('check a compliance report against FILE.sig.json: signed by its issuer, and unchanged')
    .argument('<file>', 'the report')
    .action(
      action(async (ctx, file: string) => {
        const r = await ctx.call('compliance.verify', { path: resolve(file) });
        ctx.out.result(r, () => `verified ${file}: the ${r.environment} report ${r.issuedBy} (key ${r.keyId.slice(0, 16)}…) signed at ${r.issuedAt}, as of audit event ${r.asOf.seq}`);
      }),
    );

  const audit = program.command('audit').description('the signed, hash-chained audit log');
  audit
    .command('list')
    .description('recent audit events, newest first')
    .option('--subject <subject>', 'e.g. version:iris@2, promotion:3, env:prod')
    .option('--actor <user>', 'events by this user')
    .option('--action <action>', 'events of this action, e.g. promote.approve')
    .option('--since <time>', 'events at or after this ISO time')
    .option('--until <time>', 'events before this ISO time')
    .option('--before <seq>', 'events before this sequence number (the next page back)', parseIntOption('--before', 1))
    .option('--limit <n>', 'how many', parseIntOption('--limit', 1, 100_000), 50)
    .action(
      action(async (ctx, opts: { subject?: string; actor?: string; limit: number }) => {
        const rows = await ctx.call('audit.list', opts);
        ctx.out.result(rows, () => table(rows.map((r) => ({ ...r, details: JSON.stringify(r.details).slice(0, 80) })), ['seq', 'at', 'actor', 'action', 'subject', 'details']));
      }),
    );
  audit
    .command('verify')
    .description('check every event (hash, chain link, sequence, signature) and the head against hosts\' reports and anchors')
    .option('--anchor <file>', 'an anchor from `airlock audit anchor` that the log must still reach (repeatable)', collect, [])
    .action(
      action(async (ctx, opts: { anchor: string[] }) => {
        const anchors = opts.anchor.map((f) => resolve(f));
        const r = await ctx.call('audit.verify', { anchors });
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
        const anchor = await ctx.call('audit.anchor', { out: resolve(opts.out) });
        ctx.out.result({ ...anchor, path: opts.out }, () => `anchored event ${anchor.head.seq} (${anchor.head.hash.slice(0, 16)}…) signed by ${anchor.by}: ${opts.out}`);
      }),
    );

  audit
    .command('adopt')
    .description('once, for a registry begun before Airlock sealed rows: seal every row as it stands (an admin holding the root key)')
    .action(
      action(async (ctx) => {
        const r = await ctx.call('audit.adopt', {});
        ctx.out.result(r, () => `adopted: ${r.events} earlier events checked; every row is now sealed, and the registry is held to its seals`);
      }),
    );

  program
    .command('verify')
    .description('re-hash the blob store, recompute every version and signed record, hold every row to its seal, verify the audit log')
    .option('--anchor <file>', 'an anchor from `airlock audit anchor` that the log must still reach (repeatable)', collect, [])
    .action(
      action(async (ctx, opts: { anchor: string[] }) => {
        const report = await ctx.call('registry.verify', { anchors: opts.anchor.map((f) => resolve(f)) }, { progress: 'verify' });
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
        const r = await ctx.call('store.gc', { minAgeMinutes: opts.minAgeMinutes });
        ctx.out.result(r, () => `removed ${plural(r.removed, 'unreferenced blob')}, ${formatBytes(r.bytes)}${r.keptYoung ? `; kept ${r.keptYoung} younger than ${opts.minAgeMinutes} min` : ''}`);
      }),
    );
}
