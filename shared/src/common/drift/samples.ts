import type { MonitoringSpec } from '../model-spec.js';
import { featureValue, type TapRecord } from './counter.js';
import { chiSquareHomogeneity } from './homogeneity.js';
import { kolmogorovSf } from './kolmogorov.js';
import { parsePointer, resolvePointer } from './pointer.js';

/*
 * Two-sample statistics on raw samples, for engineers comparing a reference with a current file
 * offline (`airlock drift compare`): exact where hosts can only count bins. Each matches SciPy on the
 * same data (drift-scipy.test.ts): ks_2samp(method="asymp"), wasserstein_distance, chi2_contingency.
 */

export interface KsResult {
  statistic: number;
  p: number;
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const ascending = (xs: readonly number[]) => Float64Array.from(xs).sort();

/** The two-sample Kolmogorov–Smirnov statistic and its asymptotic two-sided p-value. */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  const x = ascending(a);
  const y = ascending(b);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length || j < y.length) {
    const v = Math.min(i < x.length ? x[i]! : Infinity, j < y.length ? y[j]! : Infinity);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const [m, n] = x.length >= y.length ? [x.length, y.length] : [y.length, x.length];
  return { statistic: d, p: kolmogorovSf(roundHalfEven((m * n) / (m + n)), d) };
}

/** Wasserstein-1 between two empirical distributions: the area between their step CDFs. */
export function wasserstein1(a: readonly number[], b: readonly number[]): number {
  const x = ascending(a);
  const y = ascending(b);
  const all = ascending([...x, ...y]);
  let i = 0;
  let j = 0;
  let sum = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const v = all[k]!;
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    sum += Math.abs(i / x.length - j / y.length) * (all[k + 1]! - v);
  }
  return sum;
}

/** Sample standard deviation (n - 1). */
export function sampleSd(xs: readonly number[]): number {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1));
}

export interface FeatureComparison {
  name: string;
  type: MonitoringSpec['features'][number]['type'];
  referenceN: number;
  currentN: number;
  referenceMissingRate: number;
  currentMissingRate: number;
  ks?: KsResult;
  wasserstein?: number;
  /** Wasserstein-1 over the reference's sample standard deviation */
  wassersteinSd?: number;
  /** `sparse`: some expected count is below 5, so the chi-square p-value is not to be trusted */
  chiSquare?: { statistic: number; df: number; p: number; sparse: boolean };
}

/** Per declared feature, the exact two-sample statistics of two sets of records. */
export function compareSamples(spec: MonitoringSpec, reference: readonly TapRecord[], current: readonly TapRecord[]): FeatureComparison[] {
  return spec.features.map((f) => {
    const pointer = parsePointer(f.pointer);
    const values = (rs: readonly TapRecord[]) => rs.map((r) => featureValue(f.type, resolvePointer(f.from === 'response' ? r.response : r.request, pointer)));
    const ref = values(reference);
    const cur = values(current);
    const present = <T>(vs: (T | undefined)[]) => vs.filter((v): v is T => v !== undefined);
    const out: FeatureComparison = {
      name: f.name,
      type: f.type,
      referenceN: reference.length,
      currentN: current.length,
      referenceMissingRate: reference.length ? ref.filter((v) => v === undefined).length / reference.length : 0,
      currentMissingRate: current.length ? cur.filter((v) => v === undefined).length / current.length : 0,
    };
    if (f.type === 'numeric' || f.type === 'length') {
      const a = present(ref) as number[];
      const b = present(cur) as number[];
      if (a.length > 0 && b.length > 0) {
        out.ks = ksTwoSample(a, b);
        out.wasserstein = wasserstein1(a, b);
        if (a.length > 1) out.wassersteinSd = out.wasserstein / sampleSd(a);
      }
    } else if (f.type === 'categorical') {
      const a = present(ref) as string[];
      const b = present(cur) as string[];
      const categories = [...new Set([...a, ...b])].sort();
      const count = (vs: string[]) => {
        const tally = new Map<string, number>();
        for (const v of vs) tally.set(v, (tally.get(v) ?? 0) + 1);
        return categories.map((c) => tally.get(c) ?? 0);
      };
      const [ca, cb] = [count(a), count(b)];
      const chi = chiSquareHomogeneity(ca, cb);
      if (chi) {
        // As SciPy computes it, on every category; below 5 expected in a cell its p-value is not to be trusted.
        const smallest = Math.min(...categories.map((_, i) => (Math.min(a.length, b.length) * (ca[i]! + cb[i]!)) / (a.length + b.length)));
        out.chiSquare = { ...chi, sparse: smallest < 5 };
      }
    }
    return out;
  });
}
