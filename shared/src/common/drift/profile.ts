import { z } from 'zod';
import { DriftFeatureSpecSchema } from '../model-spec.js';

/**
 * The reference profile: what "no drift" looks like for each monitored feature, as exact counts in
 * bins fixed by the reference, so a host can count traffic into the same bins in constant memory and
 * the test can account for the reference's own sampling error (it holds counts, not proportions).
 */
export const DRIFT_PROFILE_SCHEMA = 'airlock.drift-profile/v1';

const count = z.int().min(0);

export const NumericProfileSchema = z.strictObject({
  /** interior bin edges, increasing; bin i holds edges[i-1] <= v < edges[i], the first and last are open */
  edges: z.array(z.number()).max(50),
  counts: z.array(count).min(1).max(51),
  /** the reference's mean value inside each bin: where a bin's mass sits for the Wasserstein estimate */
  binMeans: z.array(z.number()).min(1).max(51),
  mean: z.number(),
  /** sample standard deviation (n - 1) */
  std: z.number().min(0),
  min: z.number(),
  max: z.number(),
});

export const CategoricalProfileSchema = z.strictObject({
  categories: z.array(z.string().max(256)).max(200),
  counts: z.array(count).max(200),
  /** values that are none of `categories` */
  other: count,
});

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * A feature's profile, held to its own arithmetic: bins, bin means and edges agree in number, edges
 * rise, categories are distinct, and the counts add up to the records. A profile that does not (edited
 * by hand, or not built by Airlock) would make every window's statistics meaningless.
 */
export const FeatureProfileSchema = z
  .strictObject({
    spec: DriftFeatureSpecSchema,
    /** records in the reference, and how many lacked the feature (absent, null or of another type) */
    records: z.int().min(1),
    missing: count,
    numeric: NumericProfileSchema.optional(),
    categorical: CategoricalProfileSchema.optional(),
  })
  .superRefine((f, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `feature "${f.spec.name}": ${message}` });
    const numeric = f.spec.type === 'numeric' || f.spec.type === 'length';
    if (numeric !== (f.numeric !== undefined) || (f.spec.type === 'categorical') !== (f.categorical !== undefined)) problem(`a ${f.spec.type} feature has the wrong kind of bins`);
    if (f.missing > f.records) problem('more records missing than records');
    const n = f.numeric;
    if (n) {
      if (n.counts.length !== n.edges.length + 1 || n.binMeans.length !== n.counts.length) problem('bins, bin means and edges do not agree in number');
      if (n.edges.some((e, i) => i > 0 && e <= n.edges[i - 1]!)) problem('edges do not rise');
      if (sum(n.counts) + f.missing !== f.records) problem('the bin counts and missing do not add up to the records');
    }
    const c = f.categorical;
    if (c) {
      if (c.counts.length !== c.categories.length || new Set(c.categories).size !== c.categories.length) problem('categories are repeated or do not match their counts');
      if (sum(c.counts) + c.other + f.missing !== f.records) problem('the category counts and missing do not add up to the records');
    }
  });

export const DriftProfileSchema = z.strictObject({
  schema: z.literal(DRIFT_PROFILE_SCHEMA),
  referenceShape: z.enum(['pairs', 'records']),
  records: count,
  /** the declared share of windows with no drift that may still be called drifting, for the whole model */
  falseAlarmRate: z.number().gt(0).max(0.2),
  /** each test's level: falseAlarmRate shared among every test of every feature (Bonferroni) */
  alphaPerTest: z.number().gt(0).max(0.2),
  /** windows with fewer tapped records get the verdict "insufficient" */
  minWindow: z.int().min(1),
  features: z.array(FeatureProfileSchema).max(256),
});
export type DriftProfile = z.infer<typeof DriftProfileSchema>;
export type FeatureProfile = z.infer<typeof FeatureProfileSchema>;
