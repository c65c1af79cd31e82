import { buildProfile, type DriftProfile, type MonitoringSpec, type TapRecord } from '@airlock/shared/common';
import { Random } from '../helpers/random.js';

/**
 * A churn-like population for the drift tests: a normal, a skewed and a discrete numeric feature and a
 * categorical one, with knobs for the shifts the targets name.
 */
export const SPEC: MonitoringSpec = {
  features: [
    { name: 'tenure', pointer: '/record/tenure', type: 'numeric' },
    { name: 'charges', pointer: '/record/charges', type: 'numeric' },
    { name: 'calls', pointer: '/record/calls', type: 'numeric' },
    { name: 'plan', pointer: '/record/plan', type: 'categorical' },
  ],
};

export const TENURE_SD = 10;

export interface Shift {
  /** added to tenure, in tenure standard deviations */
  tenure?: number;
  /** share of records whose plan is a category the reference never saw */
  newPlan?: number;
  /** share of records without `charges` */
  chargesMissing?: number;
}

const PLANS = [['basic', 0.5], ['plus', 0.3], ['pro', 0.15], ['team', 0.05]] as const;

export function draw(rng: Random, shift: Shift = {}): TapRecord {
  const record: Record<string, unknown> = {
    tenure: rng.normal(30 + (shift.tenure ?? 0) * TENURE_SD, TENURE_SD),
    charges: Math.exp(rng.normal(4, 0.5)),
    calls: rng.poisson(2),
    plan: shift.newPlan && rng.uniform() < shift.newPlan ? 'enterprise' : rng.pick(PLANS),
  };
  if (shift.chargesMissing && rng.uniform() < shift.chargesMissing) delete record.charges;
  return { request: { record } };
}

export function* records(rng: Random, count: number, shift: Shift = {}): Generator<TapRecord> {
  for (let i = 0; i < count; i++) yield draw(rng, shift);
}

export const REFERENCE_SIZE = 10_000;

export function referenceProfile(seed = 1): DriftProfile {
  const rng = new Random(seed);
  return buildProfile(SPEC, [...records(rng, REFERENCE_SIZE)]);
}
