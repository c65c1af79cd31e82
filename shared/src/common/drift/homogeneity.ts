import { chiSquareSf } from './special.js';

export interface ChiSquareResult {
  statistic: number;
  df: number;
  p: number;
}

/**
 * Pearson's chi-square test that two rows of counts come from one distribution (SciPy's
 * chi2_contingency on a 2×k table, Yates' correction included when df = 1). Columns empty in both rows
 * carry no information and are left out. Undefined (null) with fewer than two columns.
 */
export function chiSquareHomogeneity(a: readonly number[], b: readonly number[]): ChiSquareResult | null {
  const cols: [number, number][] = [];
  for (let j = 0; j < a.length; j++) if (a[j]! + b[j]! > 0) cols.push([a[j]!, b[j]!]);
  const ta = cols.reduce((s, c) => s + c[0], 0);
  const tb = cols.reduce((s, c) => s + c[1], 0);
  if (cols.length < 2 || ta === 0 || tb === 0) return null;
  const total = ta + tb;
  const df = cols.length - 1;
  let statistic = 0;
  for (const [x, y] of cols) {
    for (const [observed, rowTotal] of [[x, ta], [y, tb]] as const) {
      const expected = (rowTotal * (x + y)) / total;
      let o = observed;
      if (df === 1) o += Math.sign(expected - o) * Math.min(0.5, Math.abs(expected - o));
      statistic += (o - expected) ** 2 / expected;
    }
  }
  return { statistic, df, p: chiSquareSf(statistic, df) };
}

/**
 * Merges columns until every expected count is at least `minExpected`, so the chi-square distribution
 * the p-value comes from holds. The smallest column goes into a neighbour: the smaller adjacent one when
 * the order means something (bins), else the next smallest.
 */
export function poolColumns(a: readonly number[], b: readonly number[], ordered: boolean, minExpected = 5): [number[], number[]] {
  const x = [...a];
  const y = [...b];
  const ta = x.reduce((s, v) => s + v, 0);
  const tb = y.reduce((s, v) => s + v, 0);
  const share = Math.min(ta, tb) / (ta + tb);
  for (let j = x.length - 1; j >= 0; j--) {
    if (x[j]! + y[j]! > 0) continue;
    x.splice(j, 1);
    y.splice(j, 1);
  }
  while (x.length > 1) {
    let smallest = 0;
    for (let j = 1; j < x.length; j++) if (x[j]! + y[j]! < x[smallest]! + y[smallest]!) smallest = j;
    if ((x[smallest]! + y[smallest]!) * share >= minExpected) break;
    let into: number;
    if (ordered) {
      into = smallest === 0 ? 1 : smallest === x.length - 1 ? smallest - 1 : x[smallest - 1]! + y[smallest - 1]! <= x[smallest + 1]! + y[smallest + 1]! ? smallest - 1 : smallest + 1;
    } else {
      into = -1;
      for (let j = 0; j < x.length; j++) if (j !== smallest && (into < 0 || x[j]! + y[j]! < x[into]! + y[into]!)) into = j;
    }
    x[into]! += x[smallest]!;
    y[into]! += y[smallest]!;
    x.splice(smallest, 1);
    y.splice(smallest, 1);
  }
  return [x, y];
}

const proportions = (c: readonly number[], smoothing: number) => {
  const total = c.reduce((s, v) => s + v, 0) + smoothing * c.length;
  return c.map((v) => (v + smoothing) / total);
};

/** Population stability index, with half a count added to every bin so an empty bin stays finite. */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const p = proportions(reference, 0.5);
  const q = proportions(current, 0.5);
  return p.reduce((s, pi, i) => s + (q[i]! - pi) * Math.log(q[i]! / pi), 0);
}

/** Jensen–Shannon divergence in bits (0 … 1). */
export function jensenShannon(reference: readonly number[], current: readonly number[]): number {
  const p = proportions(reference, 0);
  const q = proportions(current, 0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) js += 0.5 * p[i]! * Math.log2(p[i]! / m);
    if (q[i]! > 0) js += 0.5 * q[i]! * Math.log2(q[i]! / m);
  }
  return js;
}

/** Half the sum of absolute differences of the shares: the largest gap in probability of any event. */
export function totalVariation(reference: readonly number[], current: readonly number[]): number {
  const p = proportions(reference, 0);
  const q = proportions(current, 0);
  return p.reduce((s, pi, i) => s + Math.abs(pi - q[i]!), 0) / 2;
}
