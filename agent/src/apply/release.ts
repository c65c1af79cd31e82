import { link, mkdir, readdir, readFile, rename, rm, symlink, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SlotSchema, type BundleSlot } from '@airlock/shared/common';
import { fsyncDir, writeFileAtomic, type ContentStore } from '@airlock/shared/node';

/** What the agent remembers about a release, beside its directory: releases/<id>.json. */
export const ReleaseMetaSchema = z.strictObject({
  id: z.string(),
  bundleId: z.string(),
  channel: z.string(),
  sequence: z.int(),
  slot: SlotSchema,
  stagedAt: z.string(),
});
export type ReleaseMeta = z.infer<typeof ReleaseMetaSchema>;

export const releaseId = (channel: string, sequence: number, slot: BundleSlot) => `${channel}-${sequence}-${slot.model.name}-${slot.model.version}`;

export interface ReleasePaths {
  dir: string;
  meta: string;
  config: string;
}

export const releasePaths = (releasesDir: string, id: string): ReleasePaths => ({
  dir: join(releasesDir, id),
  meta: join(releasesDir, `${id}.json`),
  config: join(releasesDir, `${id}.config.json`),
});

/**
 * Builds a release directory of hard links into the store, plus its resolved config and metadata
 * beside it. Built under a temporary name and renamed into place, so a release directory either is
 * complete or does not exist.
 */
export async function stageRelease(store: ContentStore, releasesDir: string, meta: ReleaseMeta): Promise<ReleasePaths> {
  const paths = releasePaths(releasesDir, meta.id);
  const tmp = join(releasesDir, `.staging-${meta.id}`);
  await rm(tmp, { recursive: true, force: true });
  await rm(paths.dir, { recursive: true, force: true });
  for (const f of meta.slot.files) {
    const target = join(tmp, f.path);
    await mkdir(dirname(target), { recursive: true });
    await link(store.pathOf(f.digest), target);
  }
  await mkdir(tmp, { recursive: true });
  await writeFileAtomic(paths.config, `${JSON.stringify(meta.slot.config)}\n`, { mode: 0o644 });
  await writeFileAtomic(paths.meta, `${JSON.stringify(meta)}\n`, { mode: 0o644 });
  await rename(tmp, paths.dir);
  await fsyncDir(releasesDir);
  return paths;
}

export async function readReleaseMeta(releasesDir: string, id: string): Promise<ReleaseMeta> {
  return ReleaseMetaSchema.parse(JSON.parse(await readFile(releasePaths(releasesDir, id).meta, 'utf8')));
}

export async function removeRelease(releasesDir: string, id: string): Promise<void> {
  const p = releasePaths(releasesDir, id);
  await rm(p.dir, { recursive: true, force: true });
  await rm(p.meta, { force: true });
  await rm(p.config, { force: true });
}

/** Points `current` at a release, atomically (a new symlink renamed over the old one). */
export async function pointCurrent(currentLink: string, id: string | null): Promise<void> {
  if (id === null) {
    await rm(currentLink, { force: true });
  } else {
    const tmp = `${currentLink}.tmp`;
    await rm(tmp, { force: true });
    await symlink(join('releases', id), tmp);
    await rename(tmp, currentLink);
  }
  await fsyncDir(dirname(currentLink));
}

export async function readCurrent(currentLink: string): Promise<string | null> {
  try {
    return (await readlink(currentLink)).split('/').at(-1) ?? null;
  } catch {
    return null;
  }
}

/** Release ids present on disk (complete directories only). */
export async function listReleases(releasesDir: string): Promise<string[]> {
  const names = await readdir(releasesDir).catch(() => [] as string[]);
  return names.filter((n) => !n.startsWith('.') && !n.endsWith('.json'));
}

/** Half-built release directories left by a crash during staging. */
export async function removeStagingLeftovers(releasesDir: string): Promise<void> {
  for (const n of await readdir(releasesDir).catch(() => [] as string[])) {
    if (n.startsWith('.staging-')) await rm(join(releasesDir, n), { recursive: true, force: true });
  }
}
