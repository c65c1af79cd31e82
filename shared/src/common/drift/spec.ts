import type { DriftFeatureSpec } from '../model-spec.js';

/** Defaults for the optional parts of a feature spec, in one place. */
export const DRIFT_DEFAULTS = {
  falseAlarmRate: 0.01,
  bins: 10,
  topK: 20,
  /** numeric and length: Wasserstein distance in reference standard deviations */
  numericFloor: 0.1,
  /** categorical: total variation distance between the category shares */
  categoricalFloor: 0.02,
  /** missing and unseen-category rates: absolute change in the rate */
  rateFloor: 0.02,
  minWindow: 20,
  /** categories longer than this are cut before they are looked up or stored */
  categoryMaxLength: 256,
} as const;

/** Tests a feature of this type runs in every window, so the model's level can be shared among them. */
export function testsOf(type: DriftFeatureSpec['type']): number {
  return type === 'missing' ? 1 : 3;
}

export const floorOf = (spec: DriftFeatureSpec): number =>
  spec.floor ?? (spec.type === 'categorical' ? DRIFT_DEFAULTS.categoricalFloor : DRIFT_DEFAULTS.numericFloor);
