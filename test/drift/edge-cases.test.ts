import { describe, expect, it } from 'vitest';
import { buildProfile, checkRecords, DriftProfileSchema, HostDriftWindowSchema, type MonitoringSpec, type TapRecord } from '@airlock/shared/common';
import { Random } from '../helpers/random.js';

/**
 * What an attack round found, each now a rule: values that overflow, features the bins cannot see (a
 * constant, a rare flag, a shift inside the open top bin), references that cannot be profiled, and
 * profiles whose numbers do not add up.
 */
const rng = new Random(42);
const spec = (type: 'numeric' | 'categorical', name = 'v'): MonitoringSpec => ({ features: [{ name, pointer: `/${name}`, type }] });
const rows = (count: number, value: (i: number) => unknown): TapRecord[] => Array.from({ length: count }, (_, i) => ({ request: { v: value(i) } }));
const verdicts = (records: TapRecord[], reference: TapRecord[], type: 'numeric' | 'categorical' = 'numeric', window = 200) =>
  checkRecords(buildProfile(spec(type), reference), records, window).map((w) => w.features[0]!.verdict);

describe('drift at the edges', () => {
  it('counts a value whose square overflows as missing, and every window stays a valid report', () => {
    const reference = rows(2000, () => rng.normal(50, 10));
    const traffic = rows(100, (i) => (i < 2 ? 1e308 : rng.normal(50, 10)));
    const [w] = checkRecords(buildProfile(spec('numeric'), reference), traffic, 100);
    expect(w!.features[0]!.statistics.missingRate).toBe(0.02);
    expect(HostDriftWindowSchema.safeParse({ ...w, closedAt: '2026-11-30T00:00:00.000Z' }).success).toBe(true);
    for (const value of Object.values(w!.features[0]!.statistics)) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  });

  it('sees traffic leave a feature that was constant in the reference', () => {
    expect(buildProfile(spec('numeric'), rows(1000, () => 5)).features[0]!.numeric).toMatchObject({ edges: [5, 5 + Number.EPSILON * 4], counts: [0, 1000, 0], std: 0 });
    expect(verdicts(rows(200, () => 6), rows(1000, () => 5))).toEqual(['drift']);
    expect(verdicts(rows(200, () => 5), rows(1000, () => 5))).toEqual(['ok']);
  });

  it('sees a rare flag become common (2 % → 50 %), though its quantiles are all 0', () => {
    const reference = rows(2000, (i) => (i % 50 === 0 ? 1 : 0));
    // The 1s have a bin of their own, so the chi-square test sees them, not the mean test alone.
    expect(buildProfile(spec('numeric'), reference).features[0]!.numeric!.edges).toEqual([1]);
    expect(verdicts(rows(400, (i) => i % 2), reference)).toEqual(['drift', 'drift']);
    expect(verdicts(rows(400, (i) => (i % 50 === 7 ? 1 : 0)), reference)).toEqual(['ok', 'ok']);
  });

  it('sees a shift inside the open top bin (the top decile grows twentyfold) by the mean', () => {
    const draw = () => Math.exp(rng.normal(4, 0.5));
    const reference = rows(5000, draw);
    const top = buildProfile(spec('numeric'), reference).features[0]!.numeric!.edges.at(-1)!;
    const traffic = rows(1000, () => {
      const v = draw();
      return v >= top ? v * 20 : v;
    });
    const windows = checkRecords(buildProfile(spec('numeric'), reference), traffic, 1000);
    expect(windows[0]!.features[0]).toMatchObject({ verdict: 'drift', statistics: { decidedBy: 'mean' } });
  });

  it('refuses to profile a categorical feature no reference record has, or a reference under 1,000 records', () => {
    expect(() => buildProfile(spec('categorical', 'plan'), rows(2000, () => 1))).toThrow(/"plan" has no value in any reference record/);
    expect(() => buildProfile(spec('numeric'), rows(999, () => 1))).toThrow(/holds 999 records; a profile needs at least 1000/);
  });

  it('refuses a profile whose numbers do not add up', () => {
    const good = buildProfile({ features: [...spec('numeric').features, { name: 'c', pointer: '/c', type: 'categorical' }] }, rows(1000, (i) => i % 7).map((r, i) => ({ request: { ...(r.request as object), c: `k${i % 3}` } })));
    expect(DriftProfileSchema.safeParse(good).success).toBe(true);
    const broken = (edit: (p: typeof good) => void) => {
      const p = structuredClone(good);
      edit(p);
      return DriftProfileSchema.safeParse(p).error?.issues.map((i) => i.message).join('; ');
    };
    expect(broken((p) => p.features[0]!.numeric!.binMeans.pop())).toMatch(/bins, bin means and edges do not agree/);
    expect(broken((p) => p.features[0]!.numeric!.edges.reverse())).toMatch(/edges do not rise/);
    expect(broken((p) => (p.features[0]!.numeric!.counts[0]! += 1))).toMatch(/do not add up/);
    expect(broken((p) => (p.features[1]!.categorical!.categories[1] = p.features[1]!.categorical!.categories[0]!))).toMatch(/categories are repeated/);
    expect(broken((p) => (p.features[0]!.records = 0))).toMatch(/too small|>=1/);
  });
});
