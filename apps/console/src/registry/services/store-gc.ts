import { stat } from 'node:fs/promises';
import type { SigningActor } from '../auth.js';
import { authorize } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { components } from '../repos/components.js';

/**
 * `airlock gc`: removes blobs no version references — what an import killed before its database row
 * left behind. Blobs younger than `minAgeMs` are kept, since another process may be importing them
 * right now and not have committed its row yet.
 */
export async function collectGarbage(reg: Registry, actor: SigningActor, opts: { minAgeMs: number; now?: number }) {
  authorize(actor, 'store.gc');
  const referenced = new Set(components.allBlobs(reg.db).map((b) => b.digest));
  const cutoff = (opts.now ?? Date.now()) - opts.minAgeMs;
  const removed: string[] = [];
  const kept: string[] = [];
  let bytes = 0;
  for await (const digest of reg.store.list()) {
    if (referenced.has(digest)) continue;
    const st = await stat(reg.store.pathOf(digest));
    if (st.mtimeMs > cutoff) {
      kept.push(digest);
      continue;
    }
    await reg.store.remove(digest);
    removed.push(digest);
    bytes += st.size;
  }
  return mutate(reg, actor, 'store.gc', () => ({
    result: { removed: removed.length, bytes, keptYoung: kept.length, digests: removed },
    audit: { action: 'store.gc', subject: 'store', details: { removed, bytes } },
  }));
}
