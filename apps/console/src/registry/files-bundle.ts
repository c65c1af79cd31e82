import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AirlockError,
  roleOf,
  signBundleManifest,
  signerFromSecretKey,
  toTimestamp,
  VERSION_SCHEMA,
  VersionManifestSchema,
  slotOf,
  type BundleManifest,
  type BundleManifestInput,
} from '@airlock/shared/common';
import { ContentStore, openKey, readKeyFile, readRootFile, writeBundleFile, type BlobRef } from '@airlock/shared/node';
import { walkFiles } from './file-walk.js';

export interface FilesBundleInput {
  /** files and directories; a directory contributes its files under their relative paths */
  inputs: string[];
  keyPath: string;
  passphrase: string;
  rootPath: string;
  out: string;
  channel: string;
  sequence: number;
  environment?: string;
  hosts: string[];
  slot: string;
  model: { name: string; kind: BundleManifest['slots'][string]['model']['kind']; version: number };
  runtime: { command: string; args: string[]; port: number };
  expiresInDays: number;
  onProgress?: (phase: 'store' | 'write', bytesDone: number, bytesTotal: number) => void;
}

export interface FilesBundleResult {
  path: string;
  manifest: BundleManifest;
}

/**
 * Builds a signed bundle straight from files on disk, without a registry: the files become one
 * slot's release, described by a version manifest made from them, whose digest names the model.
 */
export async function createBundleFromFiles(input: FilesBundleInput): Promise<FilesBundleResult> {
  const [{ root, envelope: rootEnvelope }, keyFile] = await Promise.all([readRootFile(input.rootPath), readKeyFile(input.keyPath)]);
  if (!root.roles.release.keyids.includes(keyFile.keyid)) {
    throw new AirlockError('INVALID_INPUT', `The key ${keyFile.keyid.slice(0, 12)}… is not a release key of root version ${root.version}.`);
  }
  const pair = await openKey(keyFile, input.passphrase);
  const files = await walkFiles(input.inputs);
  const storeDir = await mkdtemp(join(tmpdir(), 'airlock-bundle-'));
  try {
    const store = await ContentStore.open(storeDir);
    const bytesTotal = files.reduce((n, f) => n + f.size, 0);
    let bytesDone = 0;
    const stored: (BlobRef & { name: string })[] = [];
    for (const f of files) {
      const ref = await store.putFile(f.path, { onBytes: (n) => input.onProgress?.('store', (bytesDone += n), bytesTotal) });
      stored.push({ ...ref, name: f.name });
    }
    const version = VersionManifestSchema.parse({
      schema: VERSION_SCHEMA,
      model: { name: input.model.name, kind: input.model.kind },
      components: stored.map((s) => ({ path: s.name, digest: s.digest, size: s.size, role: roleOf(s.name, {}) })).sort((a, b) => (a.path < b.path ? -1 : 1)),
      runtime: input.runtime,
      health: {},
    });
    const blobs = [...new Map(stored.map((s) => [s.digest, { digest: s.digest, size: s.size, included: true }])).values()];
    const now = Date.now();
    const manifest: BundleManifestInput = {
      schema: 'airlock.bundle/v1',
      bundleId: randomUUID(),
      channel: input.channel,
      sequence: input.sequence,
      issuedAt: toTimestamp(now),
      expiresAt: toTimestamp(now + input.expiresInDays * 86_400_000),
      targets: { ...(input.environment ? { environment: input.environment } : {}), hosts: input.hosts },
      slots: {
        [input.slot]: slotOf(version, input.model.version),
      },
      blobs,
    };
    const signed = signBundleManifest(manifest, [signerFromSecretKey(pair.secretKey)]);
    await writeBundleFile(input.out, { manifest: signed.envelope, roots: new Map([[root.version, rootEnvelope]]), store }, (p) =>
      input.onProgress?.('write', p.bytesDone, p.bytesTotal),
    );
    return { path: input.out, manifest: signed.manifest };
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
}
