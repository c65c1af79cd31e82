import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';
import { StateFile } from '../state/state-file.js';
import { readReleaseMeta, releasePaths, removeRelease, type ReleaseMeta } from './release.js';

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The good releases a slot keeps (oldest first, at most `keep`), to roll back to and to fall back on
 * when the current one is damaged.
 */
export class KeptReleases {
  private good: string[] = [];
  private readonly file: StateFile<{ good: string[] }>;

  constructor(
    private readonly releasesDir: string,
    base: string,
    slot: string,
    private readonly keep: number,
  ) {
    this.file = new StateFile({
      path: join(base, 'good.json'),
      schema: z.strictObject({ good: z.array(z.string()) }),
      what: `kept releases of slot ${slot}`,
      ifMissing: () => ({ good: [] }),
      recovery: 'List the complete release ids under releases/ in it, oldest first, as {"good":[…]}, or delete it to keep only the current release.',
    });
  }

  async load(): Promise<void> {
    this.good = (await this.file.read()).good;
  }

  get ids(): readonly string[] {
    return this.good;
  }

  has(id: string): boolean {
    return this.good.includes(id);
  }

  /** The newest kept release other than `except`, newest first. */
  others(except: string | null): string[] {
    return this.good.filter((g) => g !== except).reverse();
  }

  /** A release passed probation: it is the newest kept one; the oldest beyond `keep` are removed. */
  async add(id: string): Promise<void> {
    const all = [...this.good.filter((g) => g !== id), id];
    const kept = all.slice(-this.keep);
    for (const old of all.filter((g) => !kept.includes(g))) await removeRelease(this.releasesDir, old);
    this.good = kept;
    await this.file.write({ good: kept });
  }

  meta(id: string): Promise<ReleaseMeta> {
    return readReleaseMeta(this.releasesDir, id);
  }

  /** Blobs the kept releases still need; everything else in the store may be collected. */
  async liveDigests(): Promise<string[]> {
    const out: string[] = [];
    for (const id of this.good) out.push(...(await this.meta(id).catch(() => null))?.slot.files.map((f) => f.digest) ?? []);
    return out;
  }

  /** A release's metadata, after every file in its directory hashed to the digest the metadata names. */
  async verified(id: string): Promise<ReleaseMeta> {
    let meta: ReleaseMeta;
    try {
      meta = await this.meta(id);
    } catch (err) {
      throw new AirlockError('STATE_DAMAGED', `The metadata of release ${id} is missing or damaged (${(err as Error).message}).`);
    }
    const dir = releasePaths(this.releasesDir, id).dir;
    for (const f of meta.slot.files) {
      const actual = await sha256Of(join(dir, f.path)).catch((err: NodeJS.ErrnoException) => `unreadable (${err.code ?? err.message})`);
      if (actual !== f.digest) throw new AirlockError('STATE_DAMAGED', `Release ${id}: ${f.path} is ${actual.startsWith('sha256:') ? 'not the file it was (its digest changed)' : actual}.`);
    }
    return meta;
  }
}
