import { z } from 'zod';
import { DigestSchema } from '../digest.js';
import { TimestampSchema } from '../time.js';

/**
 * What a window's test says, per feature and for the model: the schema of `airlock drift check --json`
 * and of the drift summaries hosts sign into their reports. Small and bounded: counts and statistics,
 * never a request.
 */
export const DRIFT_VERDICTS = ['ok', 'insufficient', 'drift'] as const;
export const DRIFT_TESTS = ['missing', 'unseen', 'chi-square', 'mean'] as const;

const stat = z.number();
const p = z.number().min(0).max(1);

export const FeatureStatisticsSchema = z.strictObject({
  missingRate: stat,
  referenceMissingRate: stat,
  pMissing: p.optional(),
  psi: stat.optional(),
  jensenShannon: stat.optional(),
  chiSquare: stat.optional(),
  df: z.int().min(1).optional(),
  pChiSquare: p.optional(),
  /** numeric and length: (window mean - reference mean) / reference standard deviation */
  meanShift: stat.optional(),
  pMean: p.optional(),
  /** numeric and length: Wasserstein-1 between the binned distributions, in the feature's units and in reference standard deviations */
  wasserstein: stat.optional(),
  wassersteinSd: stat.optional(),
  /** categorical: share of values outside the profile's categories */
  unseenRate: stat.optional(),
  referenceUnseenRate: stat.optional(),
  pUnseen: p.optional(),
  totalVariation: stat.optional(),
  /** the test that called drift (the smallest p among those significant and above their floor) */
  decidedBy: z.enum(DRIFT_TESTS).optional(),
});
export type FeatureStatistics = z.infer<typeof FeatureStatisticsSchema>;

export const FeatureWindowSchema = z.strictObject({
  name: z.string().min(1).max(128),
  n: z.int().min(0),
  verdict: z.enum(DRIFT_VERDICTS),
  alarm: z.boolean(),
  statistics: FeatureStatisticsSchema,
});

export const DriftWindowSchema = z.strictObject({
  index: z.int().min(0),
  n: z.int().min(0),
  verdict: z.enum(DRIFT_VERDICTS),
  alarm: z.boolean(),
  features: z.array(FeatureWindowSchema).max(256),
});
export type DriftWindow = z.infer<typeof DriftWindowSchema>;
export type FeatureWindow = z.infer<typeof FeatureWindowSchema>;
export type DriftVerdict = (typeof DRIFT_VERDICTS)[number];

/** A closed window as a host keeps and reports it: which release it tested, and when it closed. */
export const HostDriftWindowSchema = DriftWindowSchema.extend({
  closedAt: TimestampSchema,
});
export type HostDriftWindow = z.infer<typeof HostDriftWindowSchema>;

/** One slot's drift in a status report: the version it tested and its latest windows, oldest first. */
export const SlotDriftSchema = z.strictObject({
  slot: z.string().min(1).max(63),
  model: z.string().min(1).max(63),
  version: z.int().min(1),
  digest: DigestSchema,
  /** requests the tap counted for this version since the agent started */
  tapped: z.int().min(0),
  windows: z.array(HostDriftWindowSchema).max(200),
});
export type SlotDrift = z.infer<typeof SlotDriftSchema>;
