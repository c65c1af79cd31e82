import type { Command } from 'commander';
import { z } from 'zod';
import {
  AirlockError, buildProfile, compareSamples, DriftChecker, DriftProfileSchema, MonitoringSpecSchema, tapRecordOf,
  type DriftProfile, type DriftWindow, type FeatureComparison, type FeatureWindow, type MonitoringSpec, type TapRecord,
} from '@airlock/shared/common';
import { readJsonl, writeFileAtomic } from '@airlock/shared/node';
import type { Output } from '../../api/contract.js';
import { table } from '../output.js';
import { readJsonFile } from '../read-json.js';
import { action, parseIntOption } from '../run.js';

async function readSchema<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  const parsed = schema.safeParse(await readJsonFile(path));
  if (!parsed.success) throw new AirlockError('INVALID_INPUT', `${path} is not a valid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function* tapRecords(path: string, shape: DriftProfile['referenceShape']): AsyncGenerator<TapRecord> {
  let line = 0;
  for await (const value of readJsonl(path)) yield tapRecordOf(value, shape, `${path} record ${++line}`);
}

const num = (v: number | undefined, digits = 3) => (v === undefined ? '-' : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(digits) : v.toExponential(1));

function describeFeature(f: FeatureWindow): string {
  const s = f.statistics;
  const parts = [
    `missing ${num(s.missingRate)}`,
    s.pChiSquare !== undefined ? `χ² p ${num(s.pChiSquare)}` : '',
    s.pMean !== undefined ? `mean ${num(s.meanShift, 2)}σ p ${num(s.pMean)}` : '',
    s.wassersteinSd !== undefined ? `W₁ ${num(s.wassersteinSd, 2)}σ` : '',
    s.unseenRate !== undefined ? `unseen ${num(s.unseenRate)}` : '',
    s.psi !== undefined ? `PSI ${num(s.psi)}` : '',
  ].filter(Boolean);
  const decided = s.decidedBy ? ` by ${s.decidedBy}` : '';
  return `  ${f.name.padEnd(20)} ${f.verdict}${decided}${f.alarm ? ' ALARM' : ''}  ${parts.join(', ')}`;
}

const describeWindow = (w: DriftWindow) =>
  [`window ${w.index}: ${w.n} records, ${w.verdict}${w.alarm ? ', ALARM' : ''}`, ...w.features.map(describeFeature)].join('\n');

/**
 * Without a spec, every top-level field of the reference's records is a feature: numbers numeric,
 * strings and booleans categorical (the first value that is not null decides).
 */
function inferSpec(records: readonly TapRecord[]): MonitoringSpec {
  const types = new Map<string, 'numeric' | 'categorical'>();
  for (const r of records) {
    if (r.request === null || typeof r.request !== 'object' || Array.isArray(r.request)) continue;
    for (const [key, v] of Object.entries(r.request)) {
      if (types.has(key) || v === null || v === undefined) continue;
      if (typeof v === 'number') types.set(key, 'numeric');
      else if (typeof v === 'string' || typeof v === 'boolean') types.set(key, 'categorical');
    }
  }
  if (types.size === 0) throw new AirlockError('INVALID_INPUT', 'The reference records have no top-level numbers or strings to compare: give the features with --monitoring SPEC.');
  return { features: [...types].map(([name, type]) => ({ name, pointer: `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, type })) };
}

const sig = (v: number | undefined) => (v === undefined ? '-' : v.toPrecision(6));

function describeComparison(c: FeatureComparison): string {
  const parts = [`n ${c.referenceN}/${c.currentN}`, `missing ${sig(c.referenceMissingRate)}/${sig(c.currentMissingRate)}`];
  if (c.ks) parts.push(`KS D ${sig(c.ks.statistic)} p ${sig(c.ks.p)}`, `W₁ ${sig(c.wasserstein)} (${sig(c.wassersteinSd)} sd)`);
  if (c.chiSquare) parts.push(`χ² ${sig(c.chiSquare.statistic)} df ${c.chiSquare.df} p ${sig(c.chiSquare.p)}${c.chiSquare.sparse ? ' (sparse: expected counts below 5, p not reliable)' : ''}`);
  return `${c.name.padEnd(20)} ${c.type.padEnd(12)} ${parts.join(', ')}`;
}

function describeShown(r: Output<'drift.show'>): string {
  if (r.versions.length === 0) return `No host has reported drift windows for ${r.model} yet.`;
  const out: string[] = [];
  for (const v of r.versions) {
    for (const h of v.hosts) {
      out.push(`${r.model}@${v.number} on ${h.host} (slot ${h.slot}, ${h.tapped} requests tapped):`);
      const rows = h.windows.map((w) => ({
        closed: w.closedAt,
        n: w.n,
        verdict: w.verdict,
        alarm: w.alarm ? 'ALARM' : '',
        drifting: w.features.filter((f) => f.verdict === 'drift').map((f) => `${f.name}${f.alarm ? '!' : ''} (${f.statistics.decidedBy})`).join(', '),
      }));
      out.push(table(rows, ['closed', 'n', 'verdict', 'alarm', 'drifting']).replace(/^/gm, '  '));
    }
  }
  return out.join('\n');
}

export function registerDrift(program: Command): void {
  const drift = program.command('drift').description('drift of inputs and outputs against a reference profile');
  drift
    .command('show')
    .description("per host, the drift windows each version's hosts reported: verdicts, alarms, and the features that drifted (! marks an alarm)")
    .argument('<ref>', 'NAME (every version) or NAME@N')
    .option('--env <env>', 'only hosts of this environment')
    .option('--host <host>', 'only this host')
    .option('--limit <n>', 'newest windows per host and version', parseIntOption('--limit', 1, 200), 24)
    .action(
      action(async (ctx, ref: string, opts: { env?: string; host?: string; limit: number }) => {
        const r = await ctx.call('drift.show', { ref, limit: opts.limit, ...(opts.env ? { env: opts.env } : {}), ...(opts.host ? { host: opts.host } : {}) });
        ctx.out.result(r, () => describeShown(r));
      }),
    );
  drift
    .command('retraining')
    .description('retraining requests decided on drift reviews, newest first')
    .argument('[model]', 'only this model')
    .action(
      action(async (ctx, model: string | undefined) => {
        const rows = await ctx.call('retraining.list', model ? { model } : {});
        ctx.out.result(rows, () => table(rows, ['id', 'version', 'review', 'requestedAt', 'requestedBy', 'reason']));
      }),
    );
  drift
    .command('profile')
    .description('build a reference profile from a JSONL file, as the registry does at import')
    .argument('<reference>', 'JSONL: one request body per line, or {"request", "response"} pairs (referenceShape "pairs")')
    .requiredOption('--monitoring <spec>', 'JSON file holding a "monitoring" object as in airlock-model.json')
    .requiredOption('--out <file>', 'where to write the profile')
    .action(
      action(async (ctx, reference: string, opts: { monitoring: string; out: string }) => {
        const spec = await readSchema(opts.monitoring, MonitoringSpecSchema, 'monitoring spec');
        const records: TapRecord[] = [];
        for await (const r of tapRecords(reference, spec.referenceShape ?? 'records')) records.push(r);
        const profile = buildProfile(spec, records);
        await writeFileAtomic(opts.out, `${JSON.stringify(profile, null, 2)}\n`);
        const summary = { out: opts.out, records: profile.records, alphaPerTest: profile.alphaPerTest, features: profile.features.map((f) => ({ name: f.spec.name, type: f.spec.type, bins: f.numeric?.counts.length ?? (f.categorical ? f.categorical.categories.length + 1 : 0), missing: f.missing })) };
        ctx.out.result(summary, () =>
          [`wrote ${opts.out}: ${profile.records} reference records, each test at level ${profile.alphaPerTest.toPrecision(3)}`, ...summary.features.map((f) => `  ${f.name.padEnd(20)} ${f.type.padEnd(12)} ${f.bins} bins, ${f.missing} missing`)].join('\n'),
        );
      }),
    );
  drift
    .command('compare')
    .description('exact two-sample statistics of two JSONL files per feature: Kolmogorov–Smirnov, Wasserstein-1, chi-square (as SciPy computes them)')
    .argument('<reference>', 'JSONL of the reference')
    .argument('<current>', 'JSONL of the same shape')
    .option('--monitoring <spec>', 'JSON file holding a "monitoring" object (default: every top-level field of the records)')
    .action(
      action(async (ctx, reference: string, current: string, opts: { monitoring?: string }) => {
        const given = opts.monitoring ? await readSchema(opts.monitoring, MonitoringSpecSchema, 'monitoring spec') : undefined;
        const shape = given?.referenceShape ?? 'records';
        const read = async (path: string) => {
          const out: TapRecord[] = [];
          for await (const r of tapRecords(path, shape)) out.push(r);
          return out;
        };
        const [ref, cur] = [await read(reference), await read(current)];
        const features = compareSamples(given ?? inferSpec(ref), ref, cur);
        ctx.out.result({ features }, () => features.map(describeComparison).join('\n'));
      }),
    );
  drift
    .command('check')
    .description('count a JSONL file into windows exactly as a host does and test each window against the profile')
    .argument('<current>', 'JSONL of the same shape as the reference')
    .requiredOption('--profile <file>', 'a profile written by `airlock drift profile`')
    .option('--window <n>', 'records per window', parseIntOption('--window', 1), 1000)
    .action(
      action(async (ctx, current: string, opts: { profile: string; window: number }) => {
        const profile = await readSchema(opts.profile, DriftProfileSchema, 'drift profile');
        const checker = new DriftChecker(profile, opts.window);
        const windows: DriftWindow[] = [];
        for await (const r of tapRecords(current, profile.referenceShape)) {
          const w = checker.push(r);
          if (w) windows.push(w);
        }
        const last = checker.finish();
        if (last) windows.push(last);
        ctx.out.result({ windows }, () => (windows.length === 0 ? `${current} holds no records.` : windows.map(describeWindow).join('\n')));
      }),
    );
}
