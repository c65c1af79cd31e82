import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { AirlockError, BUNDLE_PAYLOAD_TYPE, digestOfHex, fromBase64, parseBundleManifest, utf8Encode, type Envelope } from '@airlock/shared/common';
import { fsyncDir } from './atomic-file.js';
import { blobEntryName, ENTRY_DEFAULTS, MANIFEST_ENTRY, rootEntryName, type TarHeader } from './bundle-layout.js';
import type { ContentStore } from './content-store.js';

export interface BundleContents {
  /** the signed manifest; its `blobs` with `included: true` are streamed from `store` */
  manifest: Envelope;
  /** root envelopes by version, carried so hosts can walk their trust forward */
  roots: ReadonlyMap<number, Envelope>;
  store: ContentStore;
}

export interface WriteProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** ustar stores sizes in 11 octal digits; beyond that the size goes in a pax record. */
const USTAR_MAX_SIZE = 0o77777777777;

/** Streams a bundle as an uncompressed pax tar: manifest, then roots, then blobs. */
export async function writeBundle(out: Writable, contents: BundleContents, onProgress?: (p: WriteProgress) => void, signal?: AbortSignal): Promise<void> {
  if (contents.manifest.payloadType !== BUNDLE_PAYLOAD_TYPE) {
    throw new AirlockError('INVALID_INPUT', `The manifest envelope has payload type "${contents.manifest.payloadType}", not a bundle manifest.`);
  }
  const manifest = parseBundleManifest(fromBase64(contents.manifest.payload));
  const blobs = manifest.blobs.filter((b) => b.included);
  for (const b of blobs) {
    const size = await contents.store.size(b.digest);
    if (size !== b.size) throw new AirlockError('BLOB_SIZE_MISMATCH', `Blob ${b.digest} has ${size} bytes in the store; the manifest says ${b.size}.`);
  }
  const bytesTotal = blobs.reduce((n, b) => n + b.size, 0);
  const tar = tarPack();
  const written = pipeline(tar, out);

  const addBuffer = (name: string, data: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      tar.entry({ ...ENTRY_DEFAULTS, name, size: data.length, type: 'file' }, Buffer.from(data), (err) => (err ? reject(err) : resolve()));
    });

  try {
    await addBuffer(MANIFEST_ENTRY, utf8Encode(JSON.stringify(contents.manifest)));
    for (const version of [...contents.roots.keys()].sort((a, b) => a - b)) {
      await addBuffer(rootEntryName(version), utf8Encode(JSON.stringify(contents.roots.get(version))));
    }
    let bytesDone = 0;
    for (const b of blobs) {
      const header: TarHeader = { ...ENTRY_DEFAULTS, name: blobEntryName(b.digest), size: b.size, type: 'file' };
      if (b.size > USTAR_MAX_SIZE) header.pax = { size: String(b.size) };
      // Every byte is read anyway: hash it on the way, so a store file that rotted since it was
      // written stops the export instead of reaching a host that would refuse it.
      const hash = createHash('sha256');
      const source = contents.store.open(b.digest);
      source.on('data', (chunk: string | Buffer) => {
        hash.update(chunk);
        bytesDone += chunk.length;
        onProgress?.({ bytesDone, bytesTotal });
      });
      await pipeline(source, tar.entry(header), signal ? { signal } : {});
      const actual = digestOfHex(hash.digest('hex'));
      if (actual !== b.digest) throw new AirlockError('BLOB_DIGEST_MISMATCH', `Blob ${b.digest} in the store hashes to ${actual}: the store file is damaged. Run \`airlock verify\`; no bundle was written.`);
    }
    tar.finalize();
    await written;
  } catch (err) {
    tar.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
}

/** Writes a bundle file atomically: a partial bundle never appears under the final name. */
/** Aborting `signal` stops the write; nothing is left under either name. */
export async function writeBundleFile(path: string, contents: BundleContents, onProgress?: (p: WriteProgress) => void, signal?: AbortSignal): Promise<void> {
  const tmp = `${path}.partial`;
  try {
    const out = createWriteStream(tmp, { flags: 'w', mode: 0o644, highWaterMark: 1024 * 1024, flush: true });
    await writeBundle(out, contents, onProgress, signal);
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } finally {
    await rm(tmp, { force: true });
  }
}
