import { Option, type Command } from 'commander';
import { MODEL_KINDS } from '@airlock/shared/common';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { VERSION_SORTS, type VersionDetailSchema } from '../../api/calls/models.js';
import { VERSION_STATES } from '../../api/enums.js';
import type { VersionState } from '../../api/enums.js';
import { table } from '../output.js';
import { action, collect, parseIntOption } from '../run.js';

function describeVersion(v: z.infer<typeof VersionDetailSchema>): string {
  const m = v.manifest;
  return [
    `version  ${v.ref} (${m.model.kind})  ${v.state}${v.flag ? `  FLAGGED: ${v.flag}` : ''}`,
    `digest   ${v.digest}`,
    `created  ${v.createdAt} by ${v.createdBy}`,
    m.licence ? `licence  ${m.licence}` : '',
    '',
    table(m.components, ['role', 'path', 'size', 'digest']),
    '',
    `dependencies ${JSON.stringify(m.dependencies)}`,
    `config       ${JSON.stringify(m.config.defaults)}`,
    `suites       ${Object.keys(m.evaluation.suites).join(', ') || '-'}`,
    '',
    v.evaluations.length ? table(v.evaluations.map((e) => ({ ...e, metrics: JSON.stringify(e.metrics) })), ['id', 'suite', 'metrics', 'source', 'recordedAt']) : 'no evaluations',
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
}

export function registerModels(program: Command): void {
  const model = program.command('model').description('models and their versions');
  model
    .command('import')
    .description('import a file or directory as a new version (identical content returns the existing one)')
    .argument('<path>', 'file or directory')
    .requiredOption('--model <name>', 'model name')
    .addOption(new Option('--kind <kind>', 'model kind (default: from airlock-model.json, else other)').choices(MODEL_KINDS))
    .option('--manifest <file>', 'airlock-model.json (default: the one inside PATH)')
    .action(
      action(async (ctx, path: string, opts: { model: string; kind?: (typeof MODEL_KINDS)[number]; manifest?: string }) => {
        const out = await ctx.call(
          'models.import',
          { path: resolve(path), model: opts.model, ...(opts.kind ? { kind: opts.kind } : {}), ...(opts.manifest ? { manifestPath: resolve(opts.manifest) } : {}) },
          { progress: 'import' },
        );
        ctx.out.result(out, () => [`${out.created ? 'imported' : 'exists  '} ${out.ref} ${out.digest} (${out.state})`, ...out.assumed.map((a) => `assumed  ${a}`)].join('\n'));
      }),
    );
  model
    .command('list')
    .description('list models, optionally by name prefix or tag')
    .option('--prefix <prefix>', 'names starting with this')
    .option('--tag <tag>', 'models with this tag')
    .option('--limit <n>', 'at most this many', parseIntOption('--limit', 1, 100_000), 1000)
    .action(
      action(async (ctx, opts: { prefix?: string; tag?: string; limit: number }) => {
        const rows = await ctx.call('models.list', opts);
        ctx.out.result(rows, () => table(rows, ['name', 'kind', 'versions', 'latest', 'tags']));
      }),
    );
  model
    .command('versions')
    .description('every version of every model, a page at a time: filter, sort, page')
    .option('--text <text>', 'part of the model name, or one of its tags')
    .option('--tag <tag>', 'models with this tag')
    .addOption(new Option('--kind <kind>', 'models of this kind').choices(MODEL_KINDS))
    .addOption(new Option('--state <state>', 'versions in this lifecycle state').choices(VERSION_STATES))
    .option('--active', 'only versions active in some environment')
    .addOption(new Option('--sort <column>', 'sort by this column').choices(VERSION_SORTS).default('model'))
    .option('--descending', 'reverse the order')
    .option('--offset <n>', 'skip this many', parseIntOption('--offset', 0), 0)
    .option('--limit <n>', 'at most this many', parseIntOption('--limit', 1, 500), 100)
    .action(
      action(async (ctx, opts: Record<string, unknown>) => {
        const page = await ctx.callWith('versions.list', opts);
        ctx.out.result(page, () => [table(page.rows.map((r) => ({ ...r, tags: r.tags.join(','), active: r.active.join(',') })), ['ref', 'kind', 'state', 'active', 'createdAt', 'tags']), `${page.offset + page.rows.length} of ${page.total}`].join('\n'));
      }),
    );
  model
    .command('show')
    .description('show a model (NAME) or one version in full (NAME@N)')
    .argument('<ref>', 'NAME or NAME@N')
    .action(
      action(async (ctx, ref: string) => {
        const shown = await ctx.call('models.show', { ref });
        ctx.out.result(shown, () =>
          shown.kind === 'version'
            ? describeVersion(shown.version)
            : [
                `model    ${shown.model.name} (${shown.model.kind})${shown.model.tags.length ? `  tags ${shown.model.tags.join(', ')}` : ''}`,
                shown.model.description ? `         ${shown.model.description}` : '',
                '',
                table(shown.versions, ['number', 'state', 'flag', 'createdAt', 'digest']),
                '',
                'active',
                table(shown.active, ['environment', 'number', 'activatedAt']),
              ].join('\n'),
        );
      }),
    );
  model
    .command('annotate')
    .description("change a model's description or tags (audited)")
    .argument('<name>', 'model name')
    .option('--description <text>', 'new description')
    .option('--tag <tag>', 'add a tag (repeatable)', collect, [])
    .option('--untag <tag>', 'remove a tag (repeatable)', collect, [])
    .action(
      action(async (ctx, name: string, opts: { description?: string; tag: string[]; untag: string[] }) => {
        const r = await ctx.call('models.annotate', { name, ...(opts.description !== undefined ? { description: opts.description } : {}), addTags: opts.tag, removeTags: opts.untag });
        ctx.out.result(r, () => `annotated ${r.name}: tags ${r.tags.join(', ') || '-'}`);
      }),
    );

  const version = program.command('version').description('version lifecycle and comparison');
  version
    .command('diff')
    .description('compare two versions: components, config schema, dependencies, metrics, and every other manifest field')
    .argument('<a>', 'NAME@A')
    .argument('<b>', 'NAME@B')
    .action(
      action(async (ctx, a: string, b: string) => {
        const d = await ctx.call('versions.diff', { from: a, to: b });
        const section = (title: string, c: { added: string[]; removed: string[]; changed: { key: string; from: unknown; to: unknown }[] }) =>
          [
            `${title}:`,
            ...c.added.map((k) => `  + ${k}`),
            ...c.removed.map((k) => `  - ${k}`),
            ...c.changed.map((x) => `  ~ ${x.key}: ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`),
            ...(c.added.length + c.removed.length + c.changed.length === 0 ? ['  (same)'] : []),
          ].join('\n');
        ctx.out.result(d, () =>
          [`${d.from} → ${d.to}`, section('components', d.components), section('config schema', d.configSchema), section('config defaults', d.configDefaults), section('dependencies', d.dependencies), section('metrics', d.metrics), section('manifest (runtime, health, monitoring, …)', d.manifest)].join('\n'),
        );
      }),
    );
  const states: [string, VersionState, string][] = [
    ['validate', 'validated', 'mark a version validated (its components are re-checked)'],
    ['deprecate', 'deprecated', 'mark a version deprecated'],
    ['retire', 'retired', 'retire a deprecated version'],
    ['quarantine', 'quarantined', 'quarantine a version (blocks promotion)'],
    ['release', 'registered', 'release a version from quarantine (it must be validated again)'],
    ['revoke', 'revoked', 'revoke a version for good; versions that depend on it are flagged'],
  ];
  for (const [verb, to, description] of states) {
    version
      .command(verb)
      .description(description)
      .argument('<ref>', 'NAME@N')
      .option('--reason <text>', 'why (kept in the audit log)', '')
      .action(
        action(async (ctx, ref: string, opts: { reason: string }) => {
          const r = await ctx.call('versions.transition', { ref, to, reason: opts.reason });
          ctx.out.result(r, () => [`${r.ref}: ${r.from} → ${r.to}`, ...r.flaggedDependents.map((d) => `flagged  ${d} (depends on it)`)].join('\n'));
        }),
      );
  }
}
