import { Readable, Writable } from 'node:stream';
import {
  buildRoot,
  generateKeyPair,
  openInitialRoot,
  signBundleManifest,
  signerFromSecretKey,
  signRoot,
  type BundleManifestInput,
  type Envelope,
  type KeyPair,
  type Root,
  toTimestamp,
  type Signer,
  VERSION_SCHEMA,
  VersionManifestSchema,
  slotOf,
} from '@airlock/shared/common';
import { writeBundle, type BlobRef, type ContentStore } from '@airlock/shared/node';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
export const iso = toTimestamp;

export interface TrustFixture {
  rootKeys: KeyPair[];
  releaseKeys: KeyPair[];
  root: Root;
  rootEnvelope: Envelope;
  rootSigners: Signer[];
  releaseSigners: Signer[];
}

/** A root v1 with `rootCount` root keys and `releaseCount` release keys, thresholds as given. */
export function makeTrust(opts: { rootCount?: number; releaseCount?: number; rootThreshold?: number; releaseThreshold?: number; expiresAt?: string } = {}): TrustFixture {
  const rootKeys = Array.from({ length: opts.rootCount ?? 1 }, generateKeyPair);
  const releaseKeys = Array.from({ length: opts.releaseCount ?? 1 }, generateKeyPair);
  const root = buildRoot({
    version: 1,
    expiresAt: opts.expiresAt ?? iso(Date.now() + YEAR_MS),
    keys: [
      ...rootKeys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'approver'] as const })),
      ...releaseKeys.map((k) => ({ publicKey: k.publicKey, roles: ['release'] as const })),
    ],
    thresholds: { root: opts.rootThreshold ?? 1, release: opts.releaseThreshold ?? 1 },
  });
  const rootSigners = rootKeys.map((k) => signerFromSecretKey(k.secretKey));
  const rootEnvelope = signRoot(root, rootSigners);
  return { rootKeys, releaseKeys, root: openInitialRoot(rootEnvelope), rootEnvelope, rootSigners, releaseSigners: releaseKeys.map((k) => signerFromSecretKey(k.secretKey)) };
}

export async function putBytes(store: ContentStore, bytes: Uint8Array | string): Promise<BlobRef> {
  return store.put(Readable.from([Buffer.from(bytes)]));
}

/** A valid single-slot manifest over the given blobs; override any field. */
export function manifestFor(blobs: BlobRef[], overrides: Partial<BundleManifestInput> = {}): BundleManifestInput {
  const now = Date.now();
  const version = VersionManifestSchema.parse({
    schema: VERSION_SCHEMA,
    model: { name: 'demo', kind: 'classic' },
    components: blobs.map((b, i) => ({ path: `file-${i}.bin`, digest: b.digest, size: b.size, role: 'weights' as const })),
    runtime: { command: 'node', args: ['serve.js'], port: 9001 },
    health: {},
  });
  return {
    schema: 'airlock.bundle/v1',
    bundleId: 'b-0000000000000001',
    channel: 'prod',
    sequence: 1,
    issuedAt: iso(now - 1000),
    expiresAt: iso(now + 7 * 24 * 3600 * 1000),
    targets: { environment: 'prod', hosts: [] },
    slots: {
      main: slotOf(version, 1),
    },
    blobs: blobs.map((b) => ({ digest: b.digest, size: b.size, included: true })),
    ...overrides,
  };
}

/** Writes a signed bundle to bytes in memory (for small test bundles). */
export async function bundleBytes(opts: { store: ContentStore; manifest: BundleManifestInput | Envelope; signers?: Signer[]; roots?: Map<number, Envelope> }): Promise<Buffer> {
  const envelope = 'payloadType' in opts.manifest ? opts.manifest : signBundleManifest(opts.manifest, opts.signers ?? []).envelope;
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeBundle(sink, { manifest: envelope, roots: opts.roots ?? new Map(), store: opts.store });
  return Buffer.concat(chunks);
}

/** Root v2 of `trust`: the same root keys, the release role moved to one new key. Roots 1 and 2, ready to carry in a bundle. */
export function rotateReleaseKey(trust: TrustFixture): { roots: Map<number, Envelope>; releaseSigner: Signer } {
  const next = generateKeyPair();
  const v2root = buildRoot({
    version: 2,
    expiresAt: iso(Date.now() + YEAR_MS),
    keys: [...trust.rootKeys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'approver'] as const })), { publicKey: next.publicKey, roles: ['release'] }],
  });
  return { roots: new Map([[1, trust.rootEnvelope], [2, signRoot(v2root, trust.rootSigners)]]), releaseSigner: signerFromSecretKey(next.secretKey) };
}
