import { describe, expect, it } from 'vitest';
import { buildProfile, checkRecords, type DriftWindow } from '@airlock/shared/common';
import { Random } from '../helpers/random.js';
import { records, referenceProfile, SPEC, type Shift } from './population.js';

/*
 * The targets of the drift method, measured with fixed seeds on the churn-like population: false
 * drift, power for each named shift, the practical floor, and the alarm rule's false-alarm rate and
 * delay. Each prints its figure so the README's table can be checked against a run.
 */

const profile = referenceProfile();

function windows(seed: number, n: number, count: number, shift: Shift = {}): DriftWindow[] {
  return checkRecords(profile, records(new Random(seed), n * count, shift), n);
}

const share = (ws: DriftWindow[], pick: (w: DriftWindow) => boolean) => ws.filter(pick).length / ws.length;
const drifting = (w: DriftWindow) => w.verdict === 'drift';

describe('drift windows with no drift (current drawn from the reference population)', () => {
  it.each([20, 30, 50, 100, 1000, 5000])('at n = %i, at most 1 percent of 500 windows are called drift, for numeric and categorical features', (n) => {
    const ws = windows(1000 + n, n, 500);
    expect(ws).toHaveLength(500);
    const rate = share(ws, drifting);
    const perFeature = Object.fromEntries(profile.features.map((f, i) => [f.spec.name, share(ws, (w) => w.features[i]!.verdict === 'drift')]));
    console.log(`no drift, n=${n}: ${(rate * 100).toFixed(2)} % of windows drift`, perFeature);
    expect(rate).toBeLessThanOrEqual(0.01);
    expect(ws.every((w) => w.verdict !== 'insufficient')).toBe(true);
  });

  it("accounts for the reference's own sampling error: a 1,000-record reference against 5,000-record windows, floors nearly off", () => {
    const spec = { features: SPEC.features.map((f) => ({ ...f, floor: 0.001 })) };
    const small = buildProfile(spec, [...records(new Random(5), 1000)]);
    const ws = checkRecords(small, records(new Random(6), 5000 * 500), 5000);
    const rate = share(ws, drifting);
    console.log(`no drift, small reference, n=5000: ${(rate * 100).toFixed(2)} % of windows drift`);
    expect(rate).toBeLessThanOrEqual(0.01);
  });

  it('pools sparse categories: 30 categories with a long tail at n = 100 stay at most 1 percent', () => {
    const weights = Array.from({ length: 30 }, (_, i) => 1 / (i + 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    const regions = weights.map((w, i) => [`r${i}`, w / sum] as const);
    const spec = { features: [{ name: 'region', pointer: '/region', type: 'categorical' as const, topK: 30 }] };
    const gen = (rng: Random, count: number) => Array.from({ length: count }, () => ({ request: { region: rng.pick(regions) } }));
    const tail = buildProfile(spec, gen(new Random(8), 10_000));
    const ws = checkRecords(tail, gen(new Random(9), 100 * 500), 100);
    const rate = share(ws, drifting);
    console.log(`no drift, 30 long-tailed categories, n=100: ${(rate * 100).toFixed(2)} % of windows drift`);
    expect(rate).toBeLessThanOrEqual(0.01);
  });

  it('keeps false alarms rare whichever reference was drawn: 50 references of 1,000 records, 20 windows of 1,000 each', () => {
    let alarms = 0;
    let drifted = 0;
    for (let r = 0; r < 50; r++) {
      const reference = buildProfile(SPEC, [...records(new Random(100 + r), 1000)]);
      const ws = checkRecords(reference, records(new Random(200 + r), 1000 * 20), 1000);
      alarms += ws.filter((w) => w.alarm).length;
      drifted += ws.filter(drifting).length;
    }
    console.log(`no drift, 50 references: ${drifted} drift windows and ${alarms} alarms in 1,000 windows`);
    expect(alarms).toBeLessThanOrEqual(1);
    expect(drifted).toBeLessThanOrEqual(10);
  });

  it('raises at most 1 alarm per 1,000 windows (3,000 windows at n = 100)', () => {
    const ws = windows(7, 100, 3000);
    const alarms = ws.filter((w) => w.alarm).length;
    console.log(`no drift: ${alarms} alarms in 3,000 windows`);
    expect(alarms).toBeLessThanOrEqual(3);
  });
});

describe('drift windows after a shift', () => {
  const cases: [string, number, Shift, number, string][] = [
    ['+0.5 σ mean shift', 100, { tenure: 0.5 }, 0.85, 'tenure'],
    ['+0.25 σ mean shift', 1000, { tenure: 0.25 }, 0.95, 'tenure'],
    ['a new category holding 5 %', 1000, { newPlan: 0.05 }, 0.95, 'plan'],
    ['a missing rate going 0 → 10 %', 1000, { chargesMissing: 0.1 }, 0.95, 'charges'],
  ];

  it.each(cases)('%s at n = %i is found in the target share of 200 windows, on the shifted feature', (_, n, shift, target, feature) => {
    const ws = windows(2000 + n, n, 200, shift);
    const rate = share(ws, drifting);
    const at = profile.features.findIndex((f) => f.spec.name === feature);
    const onFeature = share(ws, (w) => w.features[at]!.verdict === 'drift');
    console.log(`${_} at n=${n}: ${(rate * 100).toFixed(1)} % of windows drift (${(onFeature * 100).toFixed(1)} % on ${feature})`);
    expect(rate).toBeGreaterThanOrEqual(target);
    expect(onFeature).toBeGreaterThanOrEqual(target);
  });

  it.each(cases)('%s at n = %i: the alarm is raised within 3 windows of the shift in ≥ 95 percent of 200 trials', (_, n, shift) => {
    const rng = new Random(3000 + n);
    let inTime = 0;
    for (let trial = 0; trial < 200; trial++) {
      const before = [...records(rng, 3 * n)];
      const after = [...records(rng, 3 * n, shift)];
      const ws = checkRecords(profile, [...before, ...after], n);
      if (ws.slice(3, 6).some((w) => w.alarm)) inTime++;
    }
    console.log(`${_} at n=${n}: alarm within 3 windows in ${inTime} of 200 trials`);
    expect(inTime / 200).toBeGreaterThanOrEqual(0.95);
  });
});

describe('the practical floor', () => {
  it('a +0.02 σ shift at n = 50,000 raises no drift and no alarm with default settings', () => {
    const ws = windows(11, 50_000, 20, { tenure: 0.02 });
    console.log(`+0.02 σ at n=50,000: ${ws.filter(drifting).length} drift windows, max |meanShift| ${Math.max(...ws.map((w) => Math.abs(w.features[0]!.statistics.meanShift!))).toFixed(3)}`);
    expect(ws.filter(drifting)).toEqual([]);
    expect(ws.some((w) => w.alarm)).toBe(false);
  });

  it('without the floor the same shift is significant: the floor, not a lack of power, keeps it quiet', () => {
    const ws = windows(11, 50_000, 20, { tenure: 0.02 });
    const significant = ws.filter((w) => (w.features[0]!.statistics.pMean ?? 1) < profile.alphaPerTest).length;
    console.log(`+0.02 σ at n=50,000: mean test significant in ${significant} of 20 windows`);
    expect(significant).toBeGreaterThan(0);
  });
});
