import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError, digestOfHex, hexOfDigest, type Digest } from '@airlock/shared/common';
import { fsyncDir } from './atomic-file.js';

export interface BlobRef {
  digest: Digest;
  size: number;
}

export interface PutOptions {
  /** refuse the bytes unless they have exactly this size and digest */
  expect?: BlobRef;
  /** called with each chunk's length as it is stored */
  onBytes?: (n: number) => void;
  /** stops the copy; the partial file is removed and nothing is stored */
  signal?: AbortSignal;
}

/** A stored blob, and whether this put added it (false: the store already held those bytes). */
export interface PutResult extends BlobRef {
  added: boolean;
}

export type ByteSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

const IO_CHUNK = 1024 * 1024;
const HEX = /^[0-9a-f]{64}$/;

/**
 * Content-addressed, write-once blob store: `blobs/sha256/ab/<hex>`, read-only files. A blob appears
 * under its final name only after it was hashed, fsynced and found to match, so a crash can leave
 * temp files (cleaned on open) but never a wrong blob.
 */
export class ContentStore {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<ContentStore> {
    const store = new ContentStore(root);
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(store.tmpDir, { recursive: true });
    await store.cleanTemp();
    return store;
  }

  private get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  pathOf(digest: string): string {
    const hex = hexOfDigest(digest);
    return join(this.root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.pathOf(digest)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.pathOf(digest))).size;
    } catch {
      throw new AirlockError('BLOB_NOT_FOUND', `Blob ${digest} is not in the store at ${this.root}.`);
    }
  }

  open(digest: string): ReadStream {
    return createReadStream(this.pathOf(digest), { highWaterMark: IO_CHUNK });
  }

  /**
   * Streams bytes into the store, hashing while copying. With `expect`, the copy stops as soon as it
   * exceeds the expected size, and a wrong size or digest never reaches the blob's final name.
   */
  async put(source: ByteSource, opts: PutOptions = {}): Promise<PutResult> {
    const { expect, onBytes, signal } = opts;
    const tmp = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (expect && size > expect.size) {
          done(new AirlockError('BLOB_SIZE_MISMATCH', `Blob ${expect.digest} is larger than its declared ${expect.size} bytes.`));
          return;
        }
        hash.update(chunk);
        onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: IO_CHUNK }), { signal });
      const digest = digestOfHex(hash.digest('hex'));
      if (expect && size !== expect.size) {
        throw new AirlockError('BLOB_SIZE_MISMATCH', `Blob ${expect.digest} has ${size} bytes; ${expect.size} were declared.`);
      }
      if (expect && digest !== expect.digest) {
        throw new AirlockError('BLOB_DIGEST_MISMATCH', `Blob declared as ${expect.digest} hashes to ${digest}.`);
      }
      return { digest, size, added: await this.commit(tmp, digest) };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  putFile(path: string, opts: PutOptions = {}): Promise<PutResult> {
    return this.put(createReadStream(path, { highWaterMark: IO_CHUNK }), opts);
  }

  /** Moves a verified blob from another store on the same filesystem into this one. */
  async adopt(from: ContentStore, digest: string): Promise<void> {
    if (await this.has(digest)) return;
    const target = this.pathOf(digest);
    await mkdir(join(target, '..'), { recursive: true });
    await rename(from.pathOf(digest), target);
    await fsyncDir(join(target, '..'));
  }

  /** Re-hashes a blob; throws BLOB_DIGEST_MISMATCH if its bytes no longer match its name. */
  async verify(digest: string): Promise<void> {
    const hash = createHash('sha256');
    for await (const chunk of this.open(digest)) hash.update(chunk as Buffer);
    const actual = digestOfHex(hash.digest('hex'));
    if (actual !== digest) throw new AirlockError('BLOB_DIGEST_MISMATCH', `Blob ${digest} on disk hashes to ${actual}: the store is corrupt.`);
  }

  async *list(): AsyncGenerator<Digest> {
    const base = join(this.root, 'blobs', 'sha256');
    for (const prefix of (await readdir(base)).sort()) {
      for (const name of (await readdir(join(base, prefix))).sort()) {
        if (HEX.test(name) && name.startsWith(prefix)) yield digestOfHex(name);
      }
    }
  }

  /** Removes one blob (a no-op if it is not there). */
  async remove(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  /** Removes every blob not in `live`; returns what it removed. */
  async gc(live: ReadonlySet<string>): Promise<{ removed: number; bytes: number }> {
    let removed = 0;
    let bytes = 0;
    for await (const digest of this.list()) {
      if (live.has(digest)) continue;
      const path = this.pathOf(digest);
      bytes += (await stat(path)).size;
      await rm(path);
      removed++;
    }
    return { removed, bytes };
  }

  /** Gives the hashed temp file its final name; false when the store already held the blob. */
  private async commit(tmp: string, digest: Digest): Promise<boolean> {
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o444);
    const target = this.pathOf(digest);
    if (await this.has(digest)) return false;
    await mkdir(join(target, '..'), { recursive: true });
    await rename(tmp, target);
    await fsyncDir(join(target, '..'));
    return true;
  }

  /** Temp files of processes that are gone are leftovers of a crash. */
  private async cleanTemp(): Promise<void> {
    for (const name of await readdir(this.tmpDir)) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || isAlive(pid))) continue;
      await rm(join(this.tmpDir, name), { force: true, recursive: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
