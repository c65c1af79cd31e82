import { AirlockError, buildProfile, canonicalJson, tapRecordOf, utf8Encode, type Component, type MonitoringSpec, type TapRecord } from '@airlock/shared/common';
import { readJsonl } from '@airlock/shared/node';
import type { Registry } from '../context.js';

/** Where a version holds the profile the registry built: a path no imported file may take. */
export const PROFILE_PATH = '.airlock/drift-profile.json';

/** The checks an import makes of its monitoring spec before it stores a byte. */
export function assertMonitoring(spec: MonitoringSpec, files: readonly { name: string }[]): void {
  if (spec.referenceProfile) {
    throw new AirlockError('INVALID_INPUT', 'monitoring.referenceProfile is computed by the registry from monitoring.reference: remove it from airlock-model.json.');
  }
  if (files.some((f) => f.name === PROFILE_PATH)) throw new AirlockError('INVALID_INPUT', `${PROFILE_PATH} is where the registry keeps the drift profile: rename that file.`);
  if (spec.reference && !files.some((f) => f.name === spec.reference)) {
    throw new AirlockError('INVALID_INPUT', `monitoring.reference names "${spec.reference}", which is not among the imported files.`);
  }
  if (spec.reference && spec.features.length === 0) throw new AirlockError('INVALID_INPUT', 'monitoring.reference is set but monitoring.features is empty: declare the features to profile.');
}

/**
 * Builds the drift profile of a version from its reference dataset (read back from the store, so the
 * profile describes exactly the bytes the version holds) and stores it as a component: the manifest
 * names it by digest, so it is signed, shipped in bundles and immutable with the version.
 */
export async function profileComponent(reg: Registry, spec: MonitoringSpec, comps: readonly Component[]): Promise<{ component: Component; added: boolean } | null> {
  if (!spec.reference) return null;
  const source = comps.find((c) => c.path === spec.reference)!;
  const shape = spec.referenceShape ?? 'records';
  const records: TapRecord[] = [];
  let line = 0;
  for await (const value of readJsonl(reg.store.pathOf(source.digest), spec.reference)) records.push(tapRecordOf(value, shape, `${spec.reference} record ${++line}`));
  const bytes = utf8Encode(canonicalJson(buildProfile(spec, records)));
  const ref = await reg.store.put((async function* () {
    yield bytes;
  })());
  return { component: { role: 'drift_profile', path: PROFILE_PATH, digest: ref.digest, size: ref.size }, added: ref.added };
}
