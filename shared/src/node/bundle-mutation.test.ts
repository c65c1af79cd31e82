import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ContentStore, verifyBundle } from '@airlock/shared/node';
import { useTempDirs } from '../../../test/helpers/tmp.js';
import { bundleBytes, makeTrust, manifestFor, putBytes } from '../../../test/helpers/trust.js';

const tempDir = useTempDirs();

/**
 * Bytes that carry no information, the only ones a flip may leave harmless: the padding after each
 * entry's data, and the two terminator bytes of each header's checksum field (six octal digits, then
 * NUL and space, which readers stop at and the checksum itself does not cover).
 */
async function paddingRanges(bundle: Buffer): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const start = entry.offset + 512 + entry.header.size;
      ranges.push([start, entry.offset + 512 + Math.ceil(entry.header.size / 512) * 512]);
      ranges.push([entry.offset + 154, entry.offset + 156]);
      entry.resume();
    }
  })();
  Readable.from([bundle]).pipe(ex);
  await done;
  return ranges;
}

describe('bundle mutation', () => {
  it('every single-byte flip is rejected, or lands in tar padding and verifies to the same content', async () => {
    const trust = makeTrust();
    const store = await ContentStore.open(await tempDir());
    const blobs = [await putBytes(store, randomBytes(5000)), await putBytes(store, randomBytes(777)), await putBytes(store, 'config')];
    const bundle = await bundleBytes({ store, manifest: manifestFor(blobs), signers: trust.releaseSigners, roots: new Map([[1, trust.rootEnvelope]]) });
    const padding = await paddingRanges(bundle);
    const inPadding = (o: number) => padding.some(([a, b]) => o >= a && o < b);
    const scratch = await tempDir();
    const verify = async (bytes: Buffer, i: number) => {
      const stagingDir = join(scratch, `s${i}`);
      try {
        const v = await verifyBundle(Readable.from([bytes]), { trust: { root: trust.root, highWaterMs: 0 }, stagingDir });
        const digests = v.blobs.map((b) => b.digest).sort();
        await v.discard();
        return { ok: true as const, manifest: v.manifest, digests };
      } catch (err) {
        expect(existsSync(stagingDir)).toBe(false);
        return { ok: false as const, code: (err as { code?: string }).code };
      }
    };
    const original = await verify(bundle, -1);
    if (!original.ok) throw new Error('the unmutated bundle must verify');

    // Random offsets across the whole file, plus a few forced into padding to prove that path too.
    const offsets = [...Array.from({ length: 400 }, () => randomInt(bundle.length)), ...padding.slice(0, 3).map(([a]) => a)];
    let rejected = 0;
    let harmless = 0;
    for (const [i, offset] of offsets.entries()) {
      const mutated = Buffer.from(bundle);
      mutated[offset]! ^= 1 << randomInt(8);
      const result = await verify(mutated, i);
      if (!result.ok) {
        expect(result.code, `flip at ${offset}`).toMatch(/^[A-Z_]+$/);
        rejected++;
        continue;
      }
      expect(inPadding(offset), `flip at ${offset} verified but is not padding`).toBe(true);
      expect(result.manifest).toEqual(original.manifest);
      expect(result.digests).toEqual(original.digests);
      harmless++;
    }
    expect(rejected).toBeGreaterThan(300);
    expect(harmless).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
