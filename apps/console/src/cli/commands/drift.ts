import type { Command } from 'commander';
import { z } from 'zod';
import {
  AirlockError, buildProfile, DriftChecker, DriftProfileSchema, MonitoringSpecSchema, tapRecordOf,
  type DriftProfile, type DriftWindow, type FeatureWindow, type TapRecord,
} from '@airlock/shared/common';
import { readJsonl, writeFileAtomic } from '@airlock/shared/node';
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

export function registerDrift(program: Command): void {
  const drift = program.command('drift').description('drift of inputs and outputs against a reference profile');
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
