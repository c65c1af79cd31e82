import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AirlockError,
  BUNDLE_PAYLOAD_TYPE,
  buildRoot,
  generateKeyPair,
  signBundleManifest,
  signEnvelope,
  signerFromSecretKey,
  signRoot,
  utf8Encode,
  type BundleManifestInput,
  type Envelope,
  type ErrorCode,
} from '@airlock/shared/common';
import { ContentStore, verifyBundle, type BlobRef, type VerifyBundleOptions } from '@airlock/shared/node';
import { craftTar, type CraftEntry } from '../../../test/helpers/tar-craft.js';
import { useSuiteTempDirs, useTempDirs } from '../../../test/helpers/tmp.js';
import { bundleBytes, iso, makeTrust, manifestFor, putBytes, YEAR_MS } from '../../../test/helpers/trust.js';

const tempDir = useTempDirs();
const suiteDir = useSuiteTempDirs();
const trust = makeTrust({ releaseCount: 2 });
const stranger = signerFromSecretKey(generateKeyPair().secretKey);
let store: ContentStore;
let blobA: BlobRef;
let blobB: BlobRef;
const dataA = randomBytes(3000);
const dataB = randomBytes(700);
const hexOf = (b: BlobRef) => b.digest.slice(7);

beforeAll(async () => {
  store = await ContentStore.open(await suiteDir());
  blobA = await putBytes(store, dataA);
  blobB = await putBytes(store, dataB);
});

const manifest = (overrides: Partial<BundleManifestInput> = {}) => manifestFor([blobA, blobB], overrides);
const signed = (m: BundleManifestInput = manifest(), signers = [trust.releaseSigners[0]!]) => JSON.stringify(signBundleManifest(m, signers).envelope);
const rootEntry = (): CraftEntry => ({ name: 'roots/1.root.json', data: JSON.stringify(trust.rootEnvelope) });
const entriesOk = (): CraftEntry[] => [
  { name: 'airlock-bundle.json', data: signed() },
  rootEntry(),
  { name: `blobs/sha256/${hexOf(blobA)}`, data: dataA },
  { name: `blobs/sha256/${hexOf(blobB)}`, data: dataB },
];
const valid = () => bundleBytes({ store, manifest: manifest(), signers: [trust.releaseSigners[0]!], roots: new Map([[1, trust.rootEnvelope]]) });
const withEntries = (edit: (e: CraftEntry[]) => CraftEntry[]) => () => craftTar(edit(entriesOk()));
const flipAt = (buf: Buffer, offset: number) => {
  const out = Buffer.from(buf);
  out[offset]! ^= 0x01;
  return out;
};

async function run(bytes: Buffer, extra: Partial<VerifyBundleOptions> = {}) {
  const stagingDir = join(await tempDir(), 'staging');
  try {
    const v = await verifyBundle(Readable.from([bytes]), { trust: { root: trust.root, highWaterMs: 0 }, stagingDir, ...extra });
    await v.discard();
    return { code: 'ok' as const, stagingDir };
  } catch (err) {
    return { code: (err as { code?: ErrorCode }).code ?? String(err), message: (err as Error).message, stagingDir };
  }
}

/** A manifest signed as it stands, skipping the schema the writer applies: what a release-key holder could sign. */
const signedRaw = (m: BundleManifestInput) => JSON.stringify(signEnvelope(BUNDLE_PAYLOAD_TYPE, utf8Encode(JSON.stringify(m)), [trust.releaseSigners[0]!]));
/** The valid manifest with one slot field changed, so that the slot no longer runs the version manifest it carries. */
const slotEdited = (edit: Record<string, unknown>) => {
  const m = manifest();
  return { ...m, slots: { main: { ...m.slots.main!, ...edit } } } as BundleManifestInput;
};

const hostile: [string, () => Promise<Buffer>, ErrorCode | 'ok', Partial<VerifyBundleOptions>?][] = [
  ['a valid bundle (control)', valid, 'ok'],
  ['crafted equivalent of a valid bundle (control)', withEntries((e) => e), 'ok'],
  ['a slot whose runtime is not its version manifest\'s (an approved digest with another command)', withEntries((e) => [{ name: 'airlock-bundle.json', data: signedRaw(slotEdited({ runtime: { command: 'sh', args: ['-c', 'id'], port: 9001 } })) }, ...e.slice(1)]), 'BUNDLE_MANIFEST_INVALID'],
  ['a slot whose digest is not its version manifest\'s', withEntries((e) => [{ name: 'airlock-bundle.json', data: signedRaw(slotEdited({ model: { name: 'demo', kind: 'classic', version: 1, digest: `sha256:${'a'.repeat(64)}` } })) }, ...e.slice(1)]), 'BUNDLE_MANIFEST_INVALID'],
  ['a slot whose files are not its version\'s components', withEntries((e) => [{ name: 'airlock-bundle.json', data: signedRaw(slotEdited({ files: manifest().slots.main!.files!.slice(0, 1) })) }, ...e.slice(1)]), 'BUNDLE_MANIFEST_INVALID'],
  ['manifest not first (blob first)', withEntries(([m, r, a, b]) => [a!, m!, r!, b!]), 'BUNDLE_MANIFEST_NOT_FIRST'],
  ['manifest not first (root first)', withEntries(([m, r, a, b]) => [r!, m!, a!, b!]), 'BUNDLE_MANIFEST_NOT_FIRST'],
  ['no manifest at all', withEntries(([, r, a, b]) => [r!, a!, b!]), 'BUNDLE_MANIFEST_NOT_FIRST'],
  ['unknown entry', withEntries((e) => [...e.slice(0, 2), { name: 'notes.txt', data: 'hi' }, ...e.slice(2)]), 'BUNDLE_ENTRY_UNKNOWN'],
  ['unknown entry under blobs/', withEntries((e) => [...e, { name: 'blobs/sha512/abcd', data: 'x' }]), 'BUNDLE_ENTRY_UNKNOWN'],
  ['duplicate blob entry', withEntries((e) => [...e, e[2]!]), 'BUNDLE_ENTRY_DUPLICATE'],
  ['duplicate manifest', withEntries(([m, ...rest]) => [m!, m!, ...rest]), 'BUNDLE_ENTRY_DUPLICATE'],
  ['path traversal', withEntries((e) => [...e, { name: '../../etc/cron.d/x', data: 'x' }]), 'BUNDLE_ENTRY_UNSAFE_PATH'],
  ['traversal inside blobs/', withEntries((e) => [...e, { name: `blobs/sha256/../../${hexOf(blobA)}`, data: 'x' }]), 'BUNDLE_ENTRY_UNSAFE_PATH'],
  ['absolute path', withEntries((e) => [...e, { name: '/etc/passwd', data: 'x' }]), 'BUNDLE_ENTRY_UNSAFE_PATH'],
  ['dot segment', withEntries(([m, ...rest]) => [{ ...m!, name: './airlock-bundle.json' }, ...rest]), 'BUNDLE_ENTRY_UNSAFE_PATH'],
  ['backslash path', withEntries((e) => [...e, { name: 'blobs\\sha256\\x', data: 'x' }]), 'BUNDLE_ENTRY_UNSAFE_PATH'],
  ['symlink as a blob', withEntries(([m, r, , b]) => [m!, r!, { name: `blobs/sha256/${hexOf(blobA)}`, type: 'symlink', linkname: '/etc/passwd' }, b!]), 'BUNDLE_ENTRY_TYPE'],
  ['hard link as a blob', withEntries(([m, r, a]) => [m!, r!, a!, { name: `blobs/sha256/${hexOf(blobB)}`, type: 'link', linkname: `blobs/sha256/${hexOf(blobA)}` }]), 'BUNDLE_ENTRY_TYPE'],
  ['character device', withEntries((e) => [...e, { name: 'roots/9.root.json', type: 'character-device' }]), 'BUNDLE_ENTRY_TYPE'],
  ['directory entry', withEntries((e) => [e[0]!, { name: 'blobs', type: 'directory' }, ...e.slice(1)]), 'BUNDLE_ENTRY_TYPE'],
  ['fifo', withEntries((e) => [...e, { name: 'fifo', type: 'fifo' }]), 'BUNDLE_ENTRY_TYPE'],
  ['blob entry larger than declared', withEntries(([m, r, a, b]) => [m!, r!, { ...a!, data: Buffer.concat([dataA, Buffer.from('more')]) }, b!]), 'BLOB_SIZE_MISMATCH'],
  ['blob entry smaller than declared', withEntries(([m, r, a, b]) => [m!, r!, { ...a!, data: dataA.subarray(1) }, b!]), 'BLOB_SIZE_MISMATCH'],
  ['blob with other bytes of the same size', withEntries(([m, r, a, b]) => [m!, r!, { ...a!, data: randomBytes(dataA.length) }, b!]), 'BLOB_DIGEST_MISMATCH'],
  ['missing blob', withEntries(([m, r, a]) => [m!, r!, a!]), 'BUNDLE_BLOB_MISSING'],
  ['blob not listed', withEntries((e) => [...e, { name: `blobs/sha256/${'c'.repeat(64)}`, data: 'x' }]), 'BUNDLE_BLOB_UNLISTED'],
  ['blob listed as not included but present', withEntries(([, r, a, b]) => [
    { name: 'airlock-bundle.json', data: signed(manifest({ blobs: [{ digest: blobA.digest, size: blobA.size, included: true }, { digest: blobB.digest, size: blobB.size, included: false }] })) },
    r!, a!, b!,
  ]), 'BUNDLE_BLOB_UNLISTED'],
  ['root after a blob', withEntries(([m, r, a, b]) => [m!, a!, r!, b!]), 'BUNDLE_ENTRY_ORDER'],
  ['truncated inside a blob', async () => (await valid()).subarray(0, 2500), 'BUNDLE_TRUNCATED'],
  ['truncated at an entry boundary (no end marker)', async () => { const v = await valid(); return v.subarray(0, v.length - 1024); }, 'BUNDLE_TRUNCATED'],
  ['truncated inside the end marker', async () => { const v = await valid(); return v.subarray(0, v.length - 512); }, 'BUNDLE_TRUNCATED'],
  ['truncated inside the manifest', async () => (await valid()).subarray(0, 700), 'BUNDLE_TRUNCATED'],
  ['empty file', async () => Buffer.alloc(0), 'BUNDLE_TRUNCATED'],
  ['trailing garbage', async () => Buffer.concat([await valid(), Buffer.from('garbage')]), 'BUNDLE_TRAILING_DATA'],
  ['a whole entry after the end marker', async () => Buffer.concat([await valid(), await craftTar([{ name: 'notes.txt', data: 'x' }])]), 'BUNDLE_TRAILING_DATA'],
  ['a garbage block after the end marker', async () => Buffer.concat([await valid(), randomBytes(512)]), 'BUNDLE_TRAILING_DATA'],
  ['too much zero padding', async () => Buffer.concat([await valid(), Buffer.alloc(64 * 1024)]), 'BUNDLE_TRAILING_DATA'],
  ['not a tar at all', async () => randomBytes(4096), 'BUNDLE_MALFORMED'],
  ['tampered blob byte', async () => { const v = await valid(); return flipAt(v, v.indexOf(dataA) + 1234); }, 'BLOB_DIGEST_MISMATCH'],
  ['tampered manifest payload', async () => { const v = await valid(); return flipAt(v, v.indexOf('"payload":"') + 40); }, 'SIGNATURE_INVALID'],
  ['tampered signature', async () => { const v = await valid(); return flipAt(v, v.indexOf('"sig":"') + 12); }, 'SIGNATURE_INVALID'],
  ['manifest is not an envelope', withEntries(([, ...rest]) => [{ name: 'airlock-bundle.json', data: '{"schema":"airlock.bundle/v1"}' }, ...rest]), 'BUNDLE_MANIFEST_INVALID'],
  ['manifest too large (checked before parsing)', withEntries(([, ...rest]) => [{ name: 'airlock-bundle.json', data: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20) }, ...rest]), 'BUNDLE_TOO_LARGE'],
  ['root entry too large', withEntries(([m, , ...rest]) => [m!, { name: 'roots/2.root.json', data: Buffer.alloc(300 * 1024, 0x20) }, ...rest]), 'BUNDLE_TOO_LARGE'],
  ['expired bundle', withEntries(([, ...rest]) => [{ name: 'airlock-bundle.json', data: signed(manifest({ issuedAt: iso(Date.now() - 10_000), expiresAt: iso(Date.now() - 1000) })) }, ...rest]), 'BUNDLE_EXPIRED'],
  ['clock set back below the signed-time high-water mark', valid, 'BUNDLE_EXPIRED', { trust: { root: trust.root, highWaterMs: Date.now() + 30 * 86_400_000, nowMs: Date.now() } }],
  ['a carried root that conflicts with the trusted one', valid, 'ROOT_INVALID', { trust: { root: makeThresholdRoot(), highWaterMs: 0 } }],
  ['threshold not met (1 of 2 release keys)', withEntries(([m, , a, b]) => [m!, a!, b!]), 'SIGNATURE_THRESHOLD_NOT_MET', { trust: { root: makeThresholdRoot(), highWaterMs: 0 } }],
  ['signed by an unknown key', withEntries(([, ...rest]) => [{ name: 'airlock-bundle.json', data: signed(manifest(), [stranger]) }, ...rest]), 'SIGNATURE_KEY_UNKNOWN'],
  ['signed by a root key, not a release key', withEntries(([, ...rest]) => [{ name: 'airlock-bundle.json', data: signed(manifest(), trust.rootSigners) }, ...rest]), 'SIGNATURE_KEY_UNKNOWN'],
  ['manifest schema from the future', withEntries(([, ...rest]) => [
    { name: 'airlock-bundle.json', data: JSON.stringify(signEnvelope(BUNDLE_PAYLOAD_TYPE, utf8Encode(JSON.stringify({ ...manifest(), schema: 'airlock.bundle/v2' })), [trust.releaseSigners[0]!])) },
    ...rest,
  ]), 'BUNDLE_SCHEMA_UNSUPPORTED'],
  ['signed manifest that breaks its schema', withEntries(([, ...rest]) => [
    { name: 'airlock-bundle.json', data: JSON.stringify(signEnvelope(BUNDLE_PAYLOAD_TYPE, utf8Encode(JSON.stringify({ ...manifest(), sequence: -1 })), [trust.releaseSigners[0]!])) },
    ...rest,
  ]), 'BUNDLE_MANIFEST_INVALID'],
  ['manifest file path escapes the release dir', withEntries(([, ...rest]) => [
    { name: 'airlock-bundle.json', data: JSON.stringify(signEnvelope(BUNDLE_PAYLOAD_TYPE, utf8Encode(JSON.stringify(withFilePath('../../bin/sh'))), [trust.releaseSigners[0]!])) },
    ...rest,
  ]), 'BUNDLE_MANIFEST_INVALID'],
  ['root chain that skips a version', withEntries(([m, , ...rest]) => [m!, { name: 'roots/3.root.json', data: JSON.stringify(trust.rootEnvelope) }, ...rest]), 'ROOT_VERSION_SKIPPED'],
  ['refused by the holder before any blob is read', valid, 'BUNDLE_REJECTED', { accept: () => { throw new AirlockError('BUNDLE_REJECTED', 'not for this host'); } }],
];

function withFilePath(path: string) {
  const m = signBundleManifest(manifest(), []).manifest;
  return { ...m, slots: { main: { ...m.slots.main!, files: [{ ...m.slots.main!.files[0]!, path }] } } };
}

function makeThresholdRoot() {
  return buildRoot({
    version: 1,
    expiresAt: iso(Date.now() + YEAR_MS),
    keys: [
      ...trust.rootKeys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'approver'] as const })),
      ...trust.releaseKeys.map((k) => ({ publicKey: k.publicKey, roles: ['release'] as const })),
    ],
    thresholds: { release: 2 },
  });
}

describe('hostile bundles', () => {
  it.each(hostile)('%s → %s, and nothing staged survives', async (_name, make, expected, extra) => {
    const { code, stagingDir, ...rest } = await run(await make(), extra);
    expect(code, JSON.stringify(rest)).toBe(expected);
    expect(existsSync(stagingDir)).toBe(false);
  });

  it('checks signatures before touching any blob: a bad signature wins over a bad blob', async () => {
    const v = await valid();
    const both = flipAt(flipAt(v, v.indexOf('"sig":"') + 12), v.indexOf(dataA) + 10);
    expect((await run(both)).code).toBe('SIGNATURE_INVALID');
  });

  it('follows a root rotation carried in the bundle and refuses the retired release key', async () => {
    const next = generateKeyPair();
    const v2 = buildRoot({
      version: 2,
      expiresAt: iso(Date.now() + YEAR_MS),
      keys: [...trust.rootKeys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'approver'] as const })), { publicKey: next.publicKey, roles: ['release'] }],
    });
    const roots = new Map<number, Envelope>([[1, trust.rootEnvelope], [2, signRoot(v2, trust.rootSigners)]]);
    const rotated = await bundleBytes({ store, manifest: manifest(), signers: [signerFromSecretKey(next.secretKey)], roots });
    const stagingDir = join(await tempDir(), 'staging');
    const verified = await verifyBundle(Readable.from([rotated]), { trust: { root: trust.root, highWaterMs: 0 }, stagingDir });
    expect(verified.root.version).toBe(2);
    expect(verified.newRoots.map((r) => r.root.version)).toEqual([2]);
    await verified.discard();

    const stale = await bundleBytes({ store, manifest: manifest(), signers: [trust.releaseSigners[0]!], roots });
    expect((await run(stale)).code).toBe('SIGNATURE_KEY_UNKNOWN');
  });
});
