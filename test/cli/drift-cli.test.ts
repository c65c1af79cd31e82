import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriftProfileSchema } from '@airlock/shared/common';
import { airlock } from '../helpers/cli.js';
import { CHURN } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';

/** `airlock drift profile | check | compare` as an engineer runs them: real files, the built CLI. */
const tempDir = useTempDirs();

async function churnFiles() {
  const dir = await tempDir();
  const model = JSON.parse(await readFile(join(CHURN, 'airlock-model.json'), 'utf8')) as { monitoring: unknown };
  await writeFile(join(dir, 'spec.json'), JSON.stringify(model.monitoring));
  const lines = (await readFile(join(CHURN, 'reference.jsonl'), 'utf8')).trim().split('\n');
  // The reference's requests, then the same with tenure shifted by more than a standard deviation.
  const shifted = lines.map((l) => {
    const pair = JSON.parse(l) as { request: { record: Record<string, number> }; response: unknown };
    pair.request.record.tenure_months! += 25;
    return JSON.stringify(pair);
  });
  await writeFile(join(dir, 'current.jsonl'), [...lines.slice(0, 600), ...shifted.slice(600, 1200)].join('\n'));
  return dir;
}

describe('airlock drift, offline', () => {
  it('profile builds what the registry builds; check counts windows as a host and prints verdicts and alarms as JSON', async () => {
    const dir = await churnFiles();
    const made = await airlock(['drift', 'profile', join(CHURN, 'reference.jsonl'), '--monitoring', join(dir, 'spec.json'), '--out', join(dir, 'profile.json')]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/2000 reference records/);
    const profile = DriftProfileSchema.parse(JSON.parse(await readFile(join(dir, 'profile.json'), 'utf8')));
    expect(profile.features.map((f) => f.spec.name)).toEqual(['tenure_months', 'monthly_charges', 'support_calls', 'contract_annual', 'score']);

    const checked = await airlock(['--json', 'drift', 'check', join(dir, 'current.jsonl'), '--profile', join(dir, 'profile.json'), '--window', '200']);
    expect(checked.code, checked.stderr).toBe(0);
    const { windows } = (JSON.parse(checked.stdout) as { result: { windows: { index: number; n: number; verdict: string; alarm: boolean; features: { name: string; verdict: string; alarm: boolean; statistics: Record<string, number> }[] }[] } }).result;
    expect(windows.map((w) => [w.index, w.n, w.verdict, w.alarm])).toEqual([
      [0, 200, 'ok', false], [1, 200, 'ok', false], [2, 200, 'ok', false],
      [3, 200, 'drift', false], [4, 200, 'drift', true], [5, 200, 'drift', true],
    ]);
    const tenure = windows[4]!.features.find((f) => f.name === 'tenure_months')!;
    expect(tenure).toMatchObject({ verdict: 'drift', alarm: true, statistics: { decidedBy: 'mean' } });
    expect(tenure.statistics.meanShift).toBeGreaterThan(1);
    expect(Object.keys(tenure.statistics)).toEqual(expect.arrayContaining(['psi', 'jensenShannon', 'chiSquare', 'pChiSquare', 'wasserstein', 'wassersteinSd', 'missingRate']));

    const text = await airlock(['drift', 'check', join(dir, 'current.jsonl'), '--profile', join(dir, 'profile.json'), '--window', '200']);
    expect(text.stdout).toMatch(/window 4: 200 records, drift, ALARM\n {2}tenure_months +drift by mean ALARM/);
  });

  it('refuses a line that is not JSON naming it, a profile that is not one, and a spec without features', async () => {
    const dir = await churnFiles();
    await writeFile(join(dir, 'bad.jsonl'), '{"request": {}}\n{oops\n');
    await writeFile(join(dir, 'empty-spec.json'), '{"features": []}');
    const bad = await airlock(['drift', 'profile', join(dir, 'bad.jsonl'), '--monitoring', join(dir, 'spec.json'), '--out', join(dir, 'p.json')]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^error INVALID_INPUT: .*bad\.jsonl line 2 is not JSON/)]);
    const notProfile = await airlock(['drift', 'check', join(dir, 'current.jsonl'), '--profile', join(dir, 'spec.json')]);
    expect([notProfile.code, notProfile.stderr]).toEqual([1, expect.stringMatching(/^error INVALID_INPUT: .*spec\.json is not a valid drift profile/)]);
    const empty = await airlock(['drift', 'profile', join(CHURN, 'reference.jsonl'), '--monitoring', join(dir, 'empty-spec.json'), '--out', join(dir, 'p.json')]);
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringMatching(/declares no features/)]);
    const window = await airlock(['drift', 'check', join(dir, 'current.jsonl'), '--profile', join(dir, 'p.json'), '--window', '0']);
    expect(window.code).toBe(2);
  });

  it("compare prints SciPy's statistics for the fixture samples, reading the features from the records", async () => {
    const fixtures = JSON.parse(await readFile(new URL('../drift/fixtures/scipy.json', import.meta.url), 'utf8')) as {
      numeric: { reference: number[]; current: number[]; ks: { statistic: number; p: number }; wasserstein: number; wassersteinSd: number }[];
      categorical: { reference: string[]; current: string[]; chiSquare: { statistic: number; df: number; p: number } }[];
    };
    const num = fixtures.numeric[0]!;
    const cat = fixtures.categorical[0]!;
    const dir = await tempDir();
    const jsonl = (xs: number[], cs: string[]) => xs.map((x, i) => JSON.stringify({ x, plan: cs[i % cs.length] })).join('\n');
    await writeFile(join(dir, 'ref.jsonl'), jsonl(num.reference, cat.reference));
    await writeFile(join(dir, 'cur.jsonl'), jsonl(num.current, cat.current));
    // Categories cycle through the (shorter or longer) numeric rows: recount them as the CLI sees them.
    const out = await airlock(['--json', 'drift', 'compare', join(dir, 'ref.jsonl'), join(dir, 'cur.jsonl')]);
    expect(out.code, out.stderr).toBe(0);
    const features = (JSON.parse(out.stdout) as { result: { features: { name: string; ks?: { statistic: number; p: number }; wasserstein?: number; wassersteinSd?: number }[] } }).result.features;
    const x = features.find((f) => f.name === 'x')!;
    const near = (a: number | undefined, b: number) => expect(Math.abs(a! - b)).toBeLessThanOrEqual(1e-9 * Math.abs(b));
    near(x.ks!.statistic, num.ks.statistic);
    near(x.ks!.p, num.ks.p);
    near(x.wasserstein, num.wasserstein);
    near(x.wassersteinSd, num.wassersteinSd);
    expect(features.find((f) => f.name === 'plan')).toMatchObject({ type: 'categorical', chiSquare: { df: 3 } });
  });
});
