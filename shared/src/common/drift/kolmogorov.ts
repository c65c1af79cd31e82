/*
 * The two-sided Kolmogorov distribution for finite n, P(D_n > x), computed the way SciPy's `kstwo.sf`
 * (and so `ks_2samp(method="asymp")`) does: Simard & L'Ecuyer (2011) choose, by n and n·x², among the
 * Ruben–Gambino closed forms, the Durbin matrix (Marsaglia–Tsang–Wang), the exact one-sided Smirnov sum
 * (Birnbaum–Tingey) and the Pelz–Good asymptotic series. For n <= 140 SciPy uses Pomeranz's recursion
 * where this uses the Durbin matrix: both are exact, and agree to ~1e-13.
 */

const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** below this, exp underflows a double: SciPy's Smirnov sum returns 0 there */
const MIN_LOG = -708.3964185322641;
const STIRLING = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2];

const polyval = (c: readonly number[], x: number) => c.reduce((acc, ci) => acc * x + ci, 0);

/** log(n! / n^n) by Stirling's series. */
const logFactorialOverPower = (n: number) => Math.log(n) / 2 - n + LOG_2PI / 2 + (1 / n) * polyval(STIRLING, 1 / n / n);

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** P(D_n^+ >= x), the one-sided statistic: the Birnbaum–Tingey sum, all of whose terms are positive. */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (n === 1) return x;
  const nx = n * x;
  if (nx <= 1) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nx >= n - 1) return (1 - x) ** n;
  const last = Math.ceil(n * (1 - x)) - 1;
  let logChoose = 0;
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logChoose += Math.log((n - j + 1) / j);
    const a = 1 - x - j / n;
    if (a <= 0) break;
    sum += Math.exp(logChoose + (n - j) * Math.log(a) + (j - 1) * Math.log(x + j / n));
  }
  return clip(x * sum);
}

/** P(D_n <= d) by the Durbin matrix: the (k, k) entry of H^n, times n!/n^n, with scaling to avoid overflow. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const w = new Float64Array(m);
  const v = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let c = 1; c < m; c++) for (let r = c - 1; r < m; r++) H[r * m + c] = w[r - c + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  const SCALE = 2 ** 128;
  let P: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let pExp = 0;
  let hExp = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2) {
      P = matmul(P, H, m);
      pExp += hExp;
    }
    H = matmul(H, H, m);
    hExp *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > SCALE) {
      for (let i = 0; i < H.length; i++) H[i]! /= SCALE;
      hExp += 128;
    }
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < 1 / SCALE) {
      p *= SCALE;
      pExp -= 128;
    }
  }
  return p * 2 ** pExp;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return out;
}

/** P(D_n <= x) by the Pelz–Good series in n^(-1/2), with its terms summed as Jacobi theta functions. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -(Math.PI ** 2) / 8 / z2;
  if (qlog < -708) return 0;
  const q = Math.exp(qlog);
  const pi2 = Math.PI ** 2;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + c[i]!;
  }
  const denominators = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / denominators[i]!;
  const q2 = Math.exp(-pi2 / 2 / z2);
  let extra2 = 0;
  let extra3 = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q2 ** k2;
    extra2 += k2 * qk;
    extra3 += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k2 * qk;
  }
  K[2]! += (extra2 * pi2 * SQRT_2PI) / (-36 * z3);
  K[3]! += (extra3 * pi2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/** P(D_n > x) for the two-sided statistic of n observations, as SciPy's `kstwo.sf(x, n)`. */
export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= (i / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) return nx2 <= 4 ? clip(1 - durbinCdf(n, x)) : clip(2 * smirnovSf(n, x));
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}
