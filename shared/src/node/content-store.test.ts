import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { useTempDirs } from '../../../test/helpers/tmp.js';

const tempDir = useTempDirs();
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const chunked = (b: Buffer, size = 1000) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
})());

describe('content-addressed store', () => {
  it('a put stopped by its signal stores nothing and leaves no temp file', async () => {
    const store = await ContentStore.open(await tempDir());
    const abort = new AbortController();
    let seen = 0;
    const err = await store.put(chunked(randomBytes(4_000_000)), { signal: abort.signal, onBytes: (n) => (seen += n) > 1_000_000 && abort.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(seen).toBeLessThan(4_000_000);
    const listed = [];
    for await (const d of store.list()) listed.push(d);
    expect(listed).toEqual([]);
    expect((await readdir(store.root, { recursive: true })).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('stores a stream under its digest, read-only, and reads it back', async () => {
    const store = await ContentStore.open(await tempDir());
    const data = randomBytes(100_000);
    const ref = await store.put(chunked(data));
    expect(ref).toEqual({ digest: digestOf(data), size: data.length, added: true });
    expect(await store.put(chunked(data))).toEqual({ ...ref, added: false });
    const path = store.pathOf(ref.digest);
    expect(path).toMatch(new RegExp(`blobs/sha256/${ref.digest.slice(7, 9)}/${ref.digest.slice(7)}$`));
    expect((await stat(path)).mode & 0o777).toBe(0o444);
    expect(await readFile(path)).toEqual(data);
    expect(await store.has(ref.digest)).toBe(true);
    await store.verify(ref.digest);
  });

  it('deduplicates: the same bytes twice make one blob', async () => {
    const store = await ContentStore.open(await tempDir());
    const data = randomBytes(5000);
    await store.put(chunked(data));
    await store.put(chunked(data, 7));
    const all = [];
    for await (const d of store.list()) all.push(d);
    expect(all).toEqual([digestOf(data)]);
  });

  it('refuses bytes that are not what was expected, leaving nothing behind', async () => {
    const dir = await tempDir();
    const store = await ContentStore.open(dir);
    const data = randomBytes(4096);
    const digest = digestOf(data);
    await expect(store.put(chunked(data), { expect: { digest, size: 4095 } })).rejects.toMatchObject({ code: 'BLOB_SIZE_MISMATCH' });
    await expect(store.put(chunked(data), { expect: { digest, size: 4097 } })).rejects.toMatchObject({ code: 'BLOB_SIZE_MISMATCH' });
    await expect(store.put(chunked(data), { expect: { digest: digestOf(Buffer.from('x')), size: 4096 } })).rejects.toMatchObject({ code: 'BLOB_DIGEST_MISMATCH' });
    expect(await store.has(digest)).toBe(false);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('stops copying as soon as a source exceeds its declared size', async () => {
    const store = await ContentStore.open(await tempDir());
    let produced = 0;
    const endless = Readable.from((function* () {
      for (;;) {
        produced += 65536;
        yield Buffer.alloc(65536);
      }
    })());
    await expect(store.put(endless, { expect: { digest: digestOf(Buffer.alloc(10)), size: 100_000 } })).rejects.toMatchObject({ code: 'BLOB_SIZE_MISMATCH' });
    expect(produced).toBeLessThan(2_000_000);
  });

  it('verify detects a blob whose bytes changed on disk', async () => {
    const store = await ContentStore.open(await tempDir());
    const ref = await store.put(chunked(randomBytes(3000)));
    const path = store.pathOf(ref.digest);
    await chmod(path, 0o644);
    await writeFile(path, randomBytes(3000));
    await expect(store.verify(ref.digest)).rejects.toMatchObject({ code: 'BLOB_DIGEST_MISMATCH' });
  });

  it('garbage-collects what is not live', async () => {
    const store = await ContentStore.open(await tempDir());
    const keep = await store.put(chunked(randomBytes(100)));
    const drop = await store.put(chunked(randomBytes(200)));
    expect(await store.gc(new Set([keep.digest]))).toEqual({ removed: 1, bytes: 200 });
    expect(await store.has(keep.digest)).toBe(true);
    expect(await store.has(drop.digest)).toBe(false);
  });

  it('refuses malformed digests rather than touching other paths', async () => {
    const store = await ContentStore.open(await tempDir());
    for (const bad of ['sha256:../../etc/passwd', 'sha256:' + 'A'.repeat(64), 'md5:' + 'a'.repeat(64), '']) {
      expect(() => store.pathOf(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('survives SIGKILL mid-put: every named blob hashes to its name, temp files are cleaned', async () => {
    const dir = await tempDir();
    // Each writer's open cleans what the previous kill left, so leftovers are counted after every kill.
    let leftovers = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cas-writer.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 300));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      leftovers += (await readdir(join(dir, 'tmp'))).length;
    }
    const store = await ContentStore.open(dir);
    let count = 0;
    for await (const digest of store.list()) {
      await store.verify(digest);
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(6);
    expect(leftovers, 'no kill landed mid-put').toBeGreaterThan(0);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  }, 60_000);
});
