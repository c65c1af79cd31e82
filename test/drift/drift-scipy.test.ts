import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity, kolmogorovSf, ksTwoSample, wasserstein1, sampleSd } from '@airlock/shared/common';
import { hypergeometricTwoSided } from '../../shared/src/common/drift/special.js';

/**
 * The statistics `airlock drift compare` prints, against SciPy on the same data: fixtures written by
 * scipy_fixtures.py (checked in beside this file) with SciPy's values, each matched within 1e-9
 * relative. `kstwo` holds P(D_n > x) over a grid that reaches every branch SciPy's kstwo takes.
 */
interface Fixtures {
  numeric: { name: string; reference: number[]; current: number[]; ks: { statistic: number; p: number }; wasserstein: number; wassersteinSd: number }[];
  categorical: { name: string; reference: string[]; current: string[]; chiSquare: { statistic: number; df: number; p: number } }[];
  kstwo: [number, number, number][];
  hypergeometric: [number, number, number, number, number][];
}
const fixtures = JSON.parse(readFileSync(new URL('fixtures/scipy.json', import.meta.url), 'utf8')) as Fixtures;

function close(actual: number, expected: number, what: string): void {
  const tolerance = 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tolerance || (expected === 0 && actual === 0))) {
    throw new Error(`${what}: ${actual} is not SciPy's ${expected} within 1e-9 relative`);
  }
}

describe('two-sample statistics against SciPy', () => {
  it.each(fixtures.numeric.map((c) => [c.name, c] as const))('%s: KS D and asymptotic p, Wasserstein-1 and its ratio to the reference sd', (_, c) => {
    const ks = ksTwoSample(c.reference, c.current);
    close(ks.statistic, c.ks.statistic, 'KS D');
    close(ks.p, c.ks.p, 'KS p');
    const w = wasserstein1(c.reference, c.current);
    close(w, c.wasserstein, 'W1');
    close(w / sampleSd(c.reference), c.wassersteinSd, 'W1/sd');
  });

  it.each(fixtures.categorical.map((c) => [c.name, c] as const))('%s: chi-square homogeneity statistic, df and p', (_, c) => {
    const cats = [...new Set([...c.reference, ...c.current])].sort();
    const count = (vs: string[]) => cats.map((k) => vs.filter((v) => v === k).length);
    const chi = chiSquareHomogeneity(count(c.reference), count(c.current))!;
    close(chi.statistic, c.chiSquare.statistic, 'chi-square');
    expect(chi.df).toBe(c.chiSquare.df);
    close(chi.p, c.chiSquare.p, 'chi-square p');
  });

  it("Fisher's two-sided test of two rates (the missing and unseen-value tests) matches hypergeom's tails", () => {
    for (const [k, total, successes, draws, p] of fixtures.hypergeometric) close(hypergeometricTwoSided(k, total, successes, draws), p, `hypergeometric ${k}/${draws} of ${successes}/${total}`);
  });

  it(`P(D_n > x) matches kstwo.sf at ${fixtures.kstwo.length} points from n = 1 to 150,000`, () => {
    const wrong = fixtures.kstwo.filter(([n, x, sf]) => {
      try {
        close(kolmogorovSf(n, x), sf, `n=${n} x=${x}`);
        return false;
      } catch {
        return true;
      }
    });
    expect(wrong.map(([n, x, sf]) => `n=${n} x=${x}: ${kolmogorovSf(n, x)} vs ${sf}`)).toEqual([]);
  });
});
