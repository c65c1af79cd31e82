import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DriftProfileSchema, type BundleSlot } from '@airlock/shared/common';
import type { TappedRelease } from './tap.js';

/**
 * The drift profile a release carries: the file among its components whose digest the version's
 * monitoring spec names (so it was verified with every other file of the bundle). Null when the
 * version declares none; an error when it declares one the release does not hold or cannot parse.
 */
export async function releaseProfile(releaseDir: string, slot: BundleSlot): Promise<TappedRelease | null> {
  const digest = slot.monitoring.referenceProfile;
  if (!digest) return null;
  const file = slot.files.find((f) => f.digest === digest);
  if (!file) throw new Error(`the monitoring spec names the profile ${digest}, which is none of the release's files`);
  const profile = DriftProfileSchema.parse(JSON.parse(await readFile(join(releaseDir, file.path), 'utf8')));
  return { profile, model: slot.model.name, version: slot.model.version, digest: slot.model.digest };
}
