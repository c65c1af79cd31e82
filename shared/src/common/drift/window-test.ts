import type { FeatureCounts, WindowCounts } from './counter.js';
import { chiSquareHomogeneity, jensenShannon, poolColumns, psi, totalVariation } from './homogeneity.js';
import type { DriftProfile, FeatureProfile } from './profile.js';
import { hypergeometricTwoSided, normalSf } from './special.js';
import { DRIFT_DEFAULTS, floorOf } from './spec.js';
import type { DriftVerdict, DRIFT_TESTS, FeatureStatistics } from './summary.js';

export interface FeatureVerdict {
  name: string;
  n: number;
  verdict: DriftVerdict;
  statistics: FeatureStatistics;
}

interface Test {
  name: (typeof DRIFT_TESTS)[number];
  p: number;
  effect: number;
  floor: number;
}

/**
 * One window of one feature against its profile. Every test compares counts with counts (the
 * reference is a sample too), each at the profile's per-test level; a test calls drift only when its
 * effect also reaches the practical floor, so a huge window cannot turn a negligible shift into drift.
 */
export function testFeature(profile: FeatureProfile, w: FeatureCounts, alpha: number, minWindow: number): FeatureVerdict {
  const refMissing = profile.missing / profile.records;
  const statistics: FeatureStatistics = { missingRate: w.n > 0 ? w.missing / w.n : 0, referenceMissingRate: refMissing };
  const out: FeatureVerdict = { name: profile.spec.name, n: w.n, verdict: 'insufficient', statistics };
  if (w.n < minWindow) return out;

  const tests: Test[] = [];
  const pMissing = hypergeometricTwoSided(w.missing, profile.records + w.n, profile.missing + w.missing, w.n);
  statistics.pMissing = pMissing;
  tests.push({ name: 'missing', p: pMissing, effect: Math.abs(statistics.missingRate - refMissing), floor: DRIFT_DEFAULTS.rateFloor });

  const present = w.n - w.missing;
  const refPresent = profile.records - profile.missing;
  if (profile.numeric && present > 0 && refPresent > 0) tests.push(...numericTests(profile, w, present, refPresent, statistics));
  if (profile.categorical && present > 0 && refPresent > 0) tests.push(...categoricalTests(profile, w, present, refPresent, statistics));

  const decisive = tests.filter((t) => Number.isFinite(t.p) && Number.isFinite(t.effect) && t.p < alpha && t.effect >= t.floor).sort((a, b) => a.p - b.p)[0];
  if (decisive) statistics.decidedBy = decisive.name;
  out.verdict = decisive ? 'drift' : 'ok';
  // What cannot be a number (an empty reference bin's ratio, an overflow) is left out, never reported.
  for (const [key, value] of Object.entries(statistics)) if (typeof value === 'number' && !Number.isFinite(value)) delete statistics[key as keyof FeatureStatistics];
  return out;
}

/** Below this many values in the window or the reference, the mean's normal approximation is not trusted. */
const MEAN_TEST_MIN = 100;

function numericTests(profile: FeatureProfile, w: FeatureCounts, present: number, refPresent: number, s: FeatureStatistics): Test[] {
  const num = profile.numeric!;
  const ref = num.counts;
  s.psi = psi([...ref, profile.missing], [...w.counts, w.missing]);
  s.jensenShannon = jensenShannon([...ref, profile.missing], [...w.counts, w.missing]);
  let wasserstein = 0;
  let fr = 0;
  let fw = 0;
  for (let i = 0; i < ref.length - 1; i++) {
    fr += ref[i]! / refPresent;
    fw += w.counts[i]! / present;
    wasserstein += Math.abs(fw - fr) * (num.binMeans[i + 1]! - num.binMeans[i]!);
  }
  s.wasserstein = wasserstein;
  const sd = num.std > 0 ? num.std : 1;
  s.wassersteinSd = wasserstein / sd;
  const shift = w.sum / present;
  s.meanShift = shift / sd;
  // The effect of either test: how far the window moved, by its mean or its whole distribution, in
  // reference standard deviations (a shift inside the open top bin shows only in the mean).
  const effect = Math.max(Math.abs(s.meanShift), s.wassersteinSd);
  const floor = floorOf(profile.spec);
  const tests: Test[] = [];
  const chi = chiSquareHomogeneity(...poolColumns(ref, w.counts, true));
  if (chi) {
    Object.assign(s, { chiSquare: chi.statistic, df: chi.df, pChiSquare: chi.p });
    tests.push({ name: 'chi-square', p: chi.p, effect, floor });
  }
  const variance = present > 1 ? Math.max(0, (w.sumSq - w.sum * shift) / (present - 1)) : 0;
  const se = Math.sqrt((num.std * num.std) / refPresent + variance / present);
  if (present >= MEAN_TEST_MIN && refPresent >= MEAN_TEST_MIN && se > 0) {
    s.pMean = Math.min(1, 2 * normalSf(Math.abs(shift) / se));
    tests.push({ name: 'mean', p: s.pMean, effect, floor });
  }
  return tests;
}

function categoricalTests(profile: FeatureProfile, w: FeatureCounts, present: number, refPresent: number, s: FeatureStatistics): Test[] {
  const cat = profile.categorical!;
  const known = w.counts.slice(0, -1);
  const unseen = w.counts.at(-1)!;
  const all = [...cat.counts, cat.other, profile.missing];
  const current = [...w.counts, w.missing];
  s.psi = psi(all, current);
  s.jensenShannon = jensenShannon(all, current);
  s.totalVariation = totalVariation([...cat.counts, cat.other], w.counts);
  s.unseenRate = unseen / present;
  s.referenceUnseenRate = cat.other / refPresent;
  s.pUnseen = hypergeometricTwoSided(unseen, refPresent + present, cat.other + unseen, present);
  const tests: Test[] = [{ name: 'unseen', p: s.pUnseen, effect: Math.abs(s.unseenRate - s.referenceUnseenRate), floor: DRIFT_DEFAULTS.rateFloor }];
  const chi = known.some((c) => c > 0) ? chiSquareHomogeneity(...poolColumns(cat.counts, known, false)) : null;
  if (chi) {
    Object.assign(s, { chiSquare: chi.statistic, df: chi.df, pChiSquare: chi.p });
    tests.push({ name: 'chi-square', p: chi.p, effect: totalVariation(cat.counts, known), floor: floorOf(profile.spec) });
  }
  return tests;
}

export interface WindowVerdict {
  n: number;
  verdict: DriftVerdict;
  features: FeatureVerdict[];
}

/** A window's verdict: drift if any feature drifted, insufficient if the window is too small to tell. */
export function testWindow(profile: DriftProfile, w: WindowCounts): WindowVerdict {
  const features = profile.features.map((f, i) => testFeature(f, w.features[i]!, profile.alphaPerTest, profile.minWindow));
  const verdict: DriftVerdict = w.n < profile.minWindow ? 'insufficient' : features.some((f) => f.verdict === 'drift') ? 'drift' : 'ok';
  return { n: w.n, verdict, features };
}
