/*
 * The special functions drift tests need, in plain JavaScript so that the agent stays one file with no
 * native code. Each is a textbook algorithm (Lanczos; series and Lentz continued fraction for the
 * incomplete gamma) accurate to ~1e-14 relative, cross-checked against SciPy in drift-scipy.test.ts.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaPSeries(a, x);
  // Lentz's continued fraction for Q, accurate where the series converges slowly.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < 10_000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** P(χ²_df > x). */
export const chiSquareSf = (x: number, df: number): number => (x <= 0 ? 1 : gammaQ(df / 2, x / 2));

/** P(Z > z) for a standard normal Z, accurate in the far tail (erfc(t) = Q(1/2, t²)). */
export function normalSf(z: number): number {
  if (z < 0) return 1 - normalSf(-z);
  return 0.5 * gammaQ(0.5, (z * z) / 2);
}

const logChoose = (n: number, k: number): number => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/**
 * Two-sided exact p-value for `k` successes among `draws` taken from `total` items of which `successes`
 * are successes (the conditional test of two rates, Fisher's): twice the tail on the side of the mode
 * that `k` lies on, at most 1. The tail is summed outward from `k` by the ratio of neighbouring terms
 * and stops once they no longer change the sum, so its cost does not grow with the window.
 */
export function hypergeometricTwoSided(k: number, total: number, successes: number, draws: number): number {
  const lo = Math.max(0, draws - (total - successes));
  const hi = Math.min(draws, successes);
  if (hi === lo) return 1;
  const mode = Math.floor(((draws + 1) * (successes + 1)) / (total + 2));
  const upward = k >= mode;
  let term = Math.exp(logChoose(successes, k) + logChoose(total - successes, draws - k) - logChoose(total, draws));
  let tail = 0;
  for (let i = k; upward ? i <= hi : i >= lo; i += upward ? 1 : -1) {
    tail += term;
    if (term < tail * 1e-17) break;
    // pmf(i + 1) / pmf(i) = (K - i)(n - i) / ((i + 1)(N - K - n + i + 1)), and its inverse going down.
    term *= upward
      ? ((successes - i) * (draws - i)) / ((i + 1) * (total - successes - draws + i + 1))
      : (i * (total - successes - draws + i)) / ((successes - i + 1) * (draws - i + 1));
  }
  return Math.min(1, 2 * tail);
}
