import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { signBundleManifest } from '@airlock/shared/common';
import { ContentStore, verifyBundle } from '@airlock/shared/node';
import { useTempDirs } from '../../../test/helpers/tmp.js';
import { bundleBytes, makeTrust, manifestFor, putBytes } from '../../../test/helpers/trust.js';

const tempDir = useTempDirs();

describe('bundle round trip', () => {
  it('verifies what it wrote and stages exactly the listed blobs', async () => {
    const trust = makeTrust();
    const store = await ContentStore.open(await tempDir());
    const blobs = [await putBytes(store, 'weights'), await putBytes(store, 'config')];
    const manifest = manifestFor(blobs);
    const bytes = await bundleBytes({ store, manifest, signers: trust.releaseSigners });
    const stagingDir = join(await tempDir(), 'staging');

    const verified = await verifyBundle(Readable.from([bytes]), { trust: { root: trust.root, highWaterMs: 0 }, stagingDir });

    expect(verified.manifest).toEqual(signBundleManifest(manifest, []).manifest);
    expect(verified.manifest.slots.main?.files.map((f) => f.digest)).toEqual(blobs.map((b) => b.digest));
    expect(verified.blobs.map((b) => b.digest).sort()).toEqual(blobs.map((b) => b.digest).sort());
    for (const b of blobs) await verified.staging.verify(b.digest);
    await verified.discard();
    await expect(readdir(stagingDir)).rejects.toThrow();
  });
});
