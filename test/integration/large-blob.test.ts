import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { signBundleManifest } from '@airlock/shared/common';
import { ContentStore, verifyBundle, writeBundle } from '@airlock/shared/node';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, manifestFor } from '../helpers/trust.js';

const tempDir = useTempDirs();
/** Just past ustar's 8 GiB size field, so the size must travel in a pax record. */
const SIZE = 8 * 1024 ** 3 + 4096;

/** Places a sparse all-zero blob of SIZE bytes in the store (its digest computed, not assumed). */
async function seedSparseBlob(store: ContentStore): Promise<string> {
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  for (let left = SIZE; left > 0; left -= zeros.length) hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
  const digest = `sha256:${hash.digest('hex')}`;
  const path = store.pathOf(digest);
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(`${path}.tmp`, 'w');
  await fh.truncate(SIZE);
  await fh.close();
  await chmod(`${path}.tmp`, 0o444);
  await rename(`${path}.tmp`, path);
  return digest;
}

describe('blobs above 8 GiB', () => {
  it('are written with a pax size that GNU tar reads, and verify end to end', async () => {
    const store = await ContentStore.open(await tempDir());
    const digest = await seedSparseBlob(store);
    const trust = makeTrust();
    const { envelope } = signBundleManifest(manifestFor([{ digest: digest as `sha256:${string}`, size: SIZE }]), trust.releaseSigners);

    const gnuTar = spawn('tar', ['-tvf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let listing = '';
    gnuTar.stdout.on('data', (d: Buffer) => (listing += d));
    const tarDone = new Promise((r) => gnuTar.on('close', r));
    const toReader = new PassThrough({ highWaterMark: 1024 * 1024 });
    const tee = new PassThrough({ highWaterMark: 1024 * 1024 });
    tee.pipe(toReader);
    tee.pipe(gnuTar.stdin);

    const stagingDir = join(await tempDir(), 'staging');
    const [verified] = await Promise.all([
      verifyBundle(toReader, { trust: { root: trust.root, highWaterMs: 0 }, stagingDir }),
      writeBundle(tee, { manifest: envelope, roots: new Map(), store }),
    ]);
    expect(await tarDone).toBe(0);
    expect(listing).toMatch(new RegExp(`\\s${SIZE}\\s.*blobs/sha256/${digest.slice(7)}`));
    expect(verified.blobs).toEqual([{ digest, size: SIZE }]);
    await verified.discard();
  }, 300_000);
});
