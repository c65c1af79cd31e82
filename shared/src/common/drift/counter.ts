import type { DriftFeatureSpec } from '../model-spec.js';
import { parsePointer, resolvePointer, type Pointer } from './pointer.js';
import type { DriftProfile, FeatureProfile } from './profile.js';
import { DRIFT_DEFAULTS } from './spec.js';

/** One tapped exchange: the request body and, when the feature reads it, the response body. */
export interface TapRecord {
  request: unknown;
  response?: unknown;
}

/** What a window holds for one feature: counts only, so its size does not grow with traffic. */
export interface FeatureCounts {
  n: number;
  missing: number;
  /** numeric: one per bin; categorical: one per category, then "other"; missing: empty */
  counts: number[];
  /** numeric: sums of (v - reference mean) and its square, for the window's mean and spread */
  sum: number;
  sumSq: number;
}

/**
 * The value a feature takes in a body, or undefined when it is missing: absent, null, or not of the
 * feature's type (a number sent as a string is missing for a numeric feature, which is itself drift).
 */
export function featureValue(type: DriftFeatureSpec['type'], raw: unknown): number | string | undefined {
  switch (type) {
    case 'numeric':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    case 'length':
      return typeof raw === 'string' || Array.isArray(raw) ? raw.length : undefined;
    case 'categorical':
      if (typeof raw === 'string') return raw.length > DRIFT_DEFAULTS.categoryMaxLength ? raw.slice(0, DRIFT_DEFAULTS.categoryMaxLength) : raw;
      return typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
    case 'missing':
      return raw === undefined || raw === null ? undefined : 1;
  }
}

/** Index of the bin holding v: how many edges are <= v. */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts one feature into the profile's fixed bins. */
export class FeatureCounter {
  private readonly pointer: Pointer;
  private readonly fromResponse: boolean;
  private readonly categories: Map<string, number> | undefined;
  private readonly edges: readonly number[];
  private readonly centre: number;
  private n = 0;
  private missing = 0;
  private readonly counts: Float64Array;
  private sum = 0;
  private sumSq = 0;

  constructor(readonly profile: FeatureProfile) {
    this.pointer = parsePointer(profile.spec.pointer);
    this.fromResponse = profile.spec.from === 'response';
    this.edges = profile.numeric?.edges ?? [];
    this.centre = profile.numeric?.mean ?? 0;
    const cats = profile.categorical?.categories;
    this.categories = cats ? new Map(cats.map((c, i) => [c, i])) : undefined;
    this.counts = new Float64Array(profile.numeric ? profile.numeric.counts.length : cats ? cats.length + 1 : 0);
  }

  observe(record: TapRecord): void {
    this.n++;
    const v = featureValue(this.profile.spec.type, resolvePointer(this.fromResponse ? record.response : record.request, this.pointer));
    if (v === undefined) {
      this.missing++;
    } else if (typeof v === 'string') {
      const at = this.categories?.get(v);
      this.counts[at ?? this.counts.length - 1]!++;
    } else if (this.profile.numeric) {
      const d = v - this.centre;
      // A value so far out that its square overflows would turn the window's mean and spread into
      // Infinity and NaN: it is counted as missing (which is itself drift), never summed.
      if (!Number.isFinite(d * d)) {
        this.missing++;
        return;
      }
      this.counts[binOf(this.edges, v)]!++;
      this.sum += d;
      this.sumSq += d * d;
    }
  }

  take(): FeatureCounts {
    const out = { n: this.n, missing: this.missing, counts: Array.from(this.counts), sum: this.sum, sumSq: this.sumSq };
    this.n = this.missing = this.sum = this.sumSq = 0;
    this.counts.fill(0);
    return out;
  }
}

/** Counts every feature of a profile; `take` closes the window and starts the next. */
export class WindowCounter {
  private readonly features: FeatureCounter[];
  private n = 0;

  constructor(readonly profile: DriftProfile) {
    this.features = profile.features.map((f) => new FeatureCounter(f));
  }

  get size(): number {
    return this.n;
  }

  observe(record: TapRecord): void {
    this.n++;
    for (const f of this.features) f.observe(record);
  }

  take(): WindowCounts {
    const n = this.n;
    this.n = 0;
    return { n, features: this.features.map((f) => f.take()) };
  }
}

export interface WindowCounts {
  n: number;
  features: FeatureCounts[];
}
