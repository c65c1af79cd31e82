import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlockError, type Envelope, type Root } from '@airlock/shared/common';
import { readRootFile, writeFileAtomic } from '@airlock/shared/node';
import type { StateLayout } from './layout.js';

export const rootPath = (layout: StateLayout, version: number) => join(layout.roots, `${version}.root.json`);

/**
 * The trusted root: exactly the version the counters record, whose file must be present and verify.
 * Never the newest file that happens to be there, and never an older one in its place.
 */
export async function trustedRoot(layout: StateLayout, version: number): Promise<Root> {
  const path = rootPath(layout, version);
  let root: Root;
  try {
    root = (await readRootFile(path)).root;
  } catch (err) {
    throw new AirlockError('STATE_DAMAGED', `The trusted root file ${path} (version ${version}) is missing or does not verify (${(err as Error).message}). Restore it from the registry's root history (roots/${version}.root.json) or re-initialise the host.`);
  }
  if (root.version !== version) throw new AirlockError('STATE_DAMAGED', `The trusted root file ${path} holds root version ${root.version}, not ${version}. Restore roots/${version}.root.json from the registry.`);
  return root;
}

export async function persistRoot(layout: StateLayout, root: Root, envelope: Envelope): Promise<void> {
  await mkdir(layout.roots, { recursive: true });
  await writeFileAtomic(rootPath(layout, root.version), `${JSON.stringify(envelope)}\n`, { mode: 0o644 });
}
