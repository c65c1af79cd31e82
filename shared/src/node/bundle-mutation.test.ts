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
 * The codes the verifier documents for a bundle it refuses (README "Formats"), written out here: a
 * mutated bundle must be refused with one of these, never INTERNAL or anything else. Mutation to try:
 * make `classify` in bundle-reader.ts return `err` unchanged for tar-stream errors.
 */
const REFUSALS = [
  'BUNDLE_TOO_LARGE', 'BUNDLE_MALFORMED', 'BUNDLE_TRUNCATED', 'BUNDLE_TRAILING_DATA', 'BUNDLE_MANIFEST_NOT_FIRST', 'BUNDLE_MANIFEST_INVALID',
  'BUNDLE_SCHEMA_UNSUPPORTED', 'BUNDLE_ENTRY_UNSAFE_PATH', 'BUNDLE_ENTRY_TYPE', 'BUNDLE_ENTRY_UNKNOWN', 'BUNDLE_ENTRY_DUPLICATE',
  'BUNDLE_ENTRY_ORDER', 'BUNDLE_BLOB_UNLISTED', 'BUNDLE_BLOB_MISSING', 'BUNDLE_EXPIRED', 'BUNDLE_FROM_FUTURE', 'ENVELOPE_INVALID',
  'SIGNATURE_INVALID', 'SIGNATURE_KEY_UNKNOWN', 'SIGNATURE_THRESHOLD_NOT_MET', 'ROOT_INVALID', 'ROOT_SCHEMA_UNSUPPORTED',
  'ROOT_VERSION_SKIPPED', 'ROOT_EXPIRED', 'BLOB_DIGEST_MISMATCH', 'BLOB_SIZE_MISMATCH',
];

/** Where each entry's data padding lies, and where each header's checksum field starts. */
async function tarLayout(bundle: Buffer): Promise<{ padding: [number, number][]; checksumFields: number[] }> {
  const padding: [number, number][] = [];
  const checksumFields: number[] = [];
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const start = entry.offset + 512 + entry.header.size;
      padding.push([start, entry.offset + 512 + Math.ceil(entry.header.size / 512) * 512]);
      checksumFields.push(entry.offset + 148);
      entry.resume();
    }
  })();
  Readable.from([bundle]).pipe(ex);
  await done;
  return { padding, checksumFields };
}

/** A header checksum as tar readers read it: leading spaces skipped, octal digits up to the first other byte. */
function checksumValue(field: Buffer): number {
  const digits = /^ *([0-7]*)/.exec(field.toString('latin1'))?.[1] ?? '';
  return digits === '' ? 0 : parseInt(digits, 8);
}

describe('bundle mutation', () => {
  it('every single-byte flip is rejected, or carries no information and verifies to the same content', async () => {
    const trust = makeTrust();
    const store = await ContentStore.open(await tempDir());
    const blobs = [await putBytes(store, randomBytes(5000)), await putBytes(store, randomBytes(777)), await putBytes(store, 'config')];
    const bundle = await bundleBytes({ store, manifest: manifestFor(blobs), signers: trust.releaseSigners, roots: new Map([[1, trust.rootEnvelope]]) });
    const { padding, checksumFields } = await tarLayout(bundle);
    // A flip carries no information only in data padding, or inside a checksum field (which the checksum
    // does not cover) when the field still reads as the same number: a leading '0' turned into a space,
    // or a byte after the digits' terminator.
    const harmless = (mutated: Buffer, o: number) =>
      padding.some(([a, b]) => o >= a && o < b) ||
      checksumFields.some(
        (f) => o >= f && o < f + 8 && checksumValue(mutated.subarray(f, f + 8)) === checksumValue(bundle.subarray(f, f + 8)),
      );
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

    // Random flips across the whole file, a few forced into padding, and every bit of every header's
    // checksum field: the one place inside a header where some flips are harmless and most are not.
    const flips: [offset: number, bit: number][] = [
      ...Array.from({ length: 400 }, () => [randomInt(bundle.length), randomInt(8)] as [number, number]),
      ...padding.slice(0, 3).map(([a]) => [a, 0] as [number, number]),
      ...checksumFields.flatMap((f) => Array.from({ length: 64 }, (_, k) => [f + (k >> 3), k & 7] as [number, number])),
    ];
    let rejected = 0;
    let unchanged = 0;
    for (const [i, [offset, bit]] of flips.entries()) {
      const mutated = Buffer.from(bundle);
      mutated[offset]! ^= 1 << bit;
      const result = await verify(mutated, i);
      if (!result.ok) {
        expect(REFUSALS, `flip at ${offset} refused with ${result.code}`).toContain(result.code);
        rejected++;
        continue;
      }
      expect(harmless(mutated, offset), `flip at ${offset} verified but changed information`).toBe(true);
      expect(result.manifest).toEqual(original.manifest);
      expect(result.digests).toEqual(original.digests);
      unchanged++;
    }
    expect(rejected).toBeGreaterThan(flips.length * 0.7);
    expect(unchanged).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
