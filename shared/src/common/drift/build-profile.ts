import { AirlockError } from '../errors.js';
import type { DriftFeatureSpec, MonitoringSpec } from '../model-spec.js';
import { binOf, featureValue, FeatureCounter, type TapRecord } from './counter.js';
import { parsePointer, resolvePointer } from './pointer.js';
import { DRIFT_PROFILE_SCHEMA, type DriftProfile, type FeatureProfile } from './profile.js';
import { DRIFT_DEFAULTS, testsOf } from './spec.js';

/**
 * The reference needs this many records: every window is compared with the same reference, so its own
 * sampling error is shared by all of them, and a small reference would make false alarms cluster.
 */
export const MIN_REFERENCE_RECORDS = 1000;

/**
 * Builds the profile of a reference dataset: bins at the reference's quantiles (ties merged, so a
 * discrete feature gets one bin per value), then the reference counted into them by the same counter
 * a host uses, so the two can never bin a value differently.
 */
export function buildProfile(spec: MonitoringSpec, records: readonly TapRecord[]): DriftProfile {
  if (spec.features.length === 0) throw new AirlockError('INVALID_INPUT', 'The monitoring spec declares no features: add at least one to "features".');
  if (records.length < MIN_REFERENCE_RECORDS) {
    throw new AirlockError('INVALID_INPUT', `The reference holds ${records.length} records; a profile needs at least ${MIN_REFERENCE_RECORDS}.`);
  }
  const names = new Set<string>();
  for (const f of spec.features) {
    if (names.has(f.name)) throw new AirlockError('INVALID_INPUT', `The monitoring spec declares the feature "${f.name}" twice.`);
    names.add(f.name);
  }
  const falseAlarmRate = spec.falseAlarmRate ?? DRIFT_DEFAULTS.falseAlarmRate;
  const tests = spec.features.reduce((s, f) => s + testsOf(f.type), 0);
  return {
    schema: DRIFT_PROFILE_SCHEMA,
    referenceShape: spec.referenceShape ?? 'records',
    records: records.length,
    falseAlarmRate,
    alphaPerTest: falseAlarmRate / tests,
    minWindow: DRIFT_DEFAULTS.minWindow,
    features: spec.features.map((f) => featureProfile(f, records)),
  };
}

function featureProfile(spec: DriftFeatureSpec, records: readonly TapRecord[]): FeatureProfile {
  const pointer = parsePointer(spec.pointer);
  const values: (number | string)[] = [];
  for (const r of records) {
    const v = featureValue(spec.type, resolvePointer(spec.from === 'response' ? r.response : r.request, pointer));
    if (v !== undefined) values.push(v);
  }
  const shell: FeatureProfile = { spec, records: 0, missing: 0 };
  if (spec.type === 'numeric' || spec.type === 'length') {
    const sorted = Float64Array.from(values as number[]).sort();
    if (sorted.length < 2) throw new AirlockError('INVALID_INPUT', `The feature "${spec.name}" has ${sorted.length} values in the reference; it needs at least 2.`);
    const edges = quantileEdges(sorted, spec.bins ?? DRIFT_DEFAULTS.bins);
    const sums = new Float64Array(edges.length + 1);
    const sizes = new Float64Array(edges.length + 1);
    let total = 0;
    for (const v of sorted) {
      const b = binOf(edges, v);
      sums[b]! += v;
      sizes[b]!++;
      total += v;
    }
    const mean = total / sorted.length;
    let ss = 0;
    for (const v of sorted) ss += (v - mean) ** 2;
    shell.numeric = {
      edges,
      counts: new Array<number>(edges.length + 1).fill(0),
      // A bin the reference left empty (only around a constant) sits at its edge.
      binMeans: Array.from(sums, (s, i) => (sizes[i]! > 0 ? s / sizes[i]! : (edges[i - 1] ?? edges[0]!))),
      mean,
      std: Math.sqrt(ss / (sorted.length - 1)),
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
    };
  } else if (spec.type === 'categorical') {
    if (values.length === 0) throw new AirlockError('INVALID_INPUT', `The feature "${spec.name}" has no value in any reference record; check its pointer${spec.from === 'response' ? ' and that the reference holds answers ("referenceShape": "pairs")' : ''}.`);
    const tally = new Map<string, number>();
    for (const v of values as string[]) tally.set(v, (tally.get(v) ?? 0) + 1);
    const categories = [...tally.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, spec.topK ?? DRIFT_DEFAULTS.topK)
      .map(([c]) => c);
    shell.categorical = { categories, counts: new Array<number>(categories.length).fill(0), other: 0 };
  }
  const counter = new FeatureCounter(shell);
  for (const r of records) counter.observe(r);
  const c = counter.take();
  const out: FeatureProfile = { ...shell, records: c.n, missing: c.missing };
  if (out.numeric) out.numeric = { ...out.numeric, counts: c.counts };
  if (out.categorical) out.categorical = { ...out.categorical, counts: c.counts.slice(0, -1), other: c.counts.at(-1)! };
  return out;
}

/**
 * Interior edges at the reference's quantiles, each an observed value, ties merged. The smallest value
 * keeps a bin of its own (a flag that is mostly 0 still gets a bin for its 1s), and a constant gets
 * bins below, at and above it, so no value the reference never saw can hide in the reference's bin.
 */
function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const min = sorted[0]!;
  const above = sorted.find((v) => v > min);
  if (above === undefined) return [min, nextUp(min)];
  const edges = [above];
  for (let i = 1; i < bins; i++) {
    const e = sorted[Math.floor((i * sorted.length) / bins)]!;
    if (e > edges.at(-1)!) edges.push(e);
  }
  return edges;
}

/** The smallest double above x. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0]! += x > 0 ? 1n : -1n;
  return new Float64Array(bits.buffer)[0]!;
}
