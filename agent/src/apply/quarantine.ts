import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toTimestamp } from '@airlock/shared/common';
import { openBundleFile, writeFileAtomic } from '@airlock/shared/node';

/**
 * How much of a refused file is kept. The manifest (the first tar entry) normally lies within it, which
 * is what an operator needs to tell which bundle it was; the rest can be had from the registry.
 */
export const HEAD_BYTES = 64 * 1024;

const ENTRY_FILE = /\.(why\.json|head)$/;

/**
 * Keeps what an operator needs to look at a refused file: why it was refused (`<entry>.why.json`) and its
 * first bytes (`<entry>.head`), never the file itself, which may be sparse, endless or enormous. The same
 * bytes refused for the same reason again, under whatever name, are kept once. The folder stays within
 * `maxBytes`, oldest entries evicted first.
 */
export async function quarantine(dir: string, path: string, error: { code: string; message: string }, maxBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const s = await stat(path).catch(() => null);
  const head = await readHead(path);
  const fingerprint = createHash('sha256').update(`${s?.size ?? -1}\0${error.code}\0`).update(head).digest('hex').slice(0, 12);
  if ((await readdir(dir)).some((n) => n.includes(`-${fingerprint}-`))) return;
  // Milliseconds in the stamp so that names sort in the order the entries were made: eviction relies on it.
  const entry = `${new Date().toISOString().replaceAll(':', '')}-${fingerprint}-${basename(path).slice(0, 120)}`;
  if (head.length > 0) await writeFileAtomic(join(dir, `${entry}.head`), head);
  const why = { file: path, ...error, at: toTimestamp(), size: s?.size ?? null, headBytes: head.length };
  await writeFileAtomic(join(dir, `${entry}.why.json`), `${JSON.stringify(why)}\n`);
  await trimQuarantine(dir, maxBytes);
}

/**
 * At most HEAD_BYTES from the start of the file, whatever the file claims to be. Opened as the verifier
 * opens bundles: a regular file only (a FIFO or device would block or never end) and every read under
 * a timeout, so that a medium that stalled the verification cannot stall the quarantine too.
 */
async function readHead(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of (await openBundleFile(path)) as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      n += chunk.length;
      if (n >= HEAD_BYTES) break;
    }
  } catch {
    // Unreadable, not a regular file, or stalled: what was read (maybe nothing) is all there is to keep.
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/**
 * Evicts whole entries, oldest first, until the folder holds at most `maxBytes`. Entries left by older
 * agents (a full copy named `<stamp>-<name>` beside its `.why.json`) count and are evicted the same way.
 */
export async function trimQuarantine(dir: string, maxBytes: number): Promise<void> {
  const entries = new Map<string, { files: string[]; bytes: number }>();
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (!s?.isFile()) continue;
    const id = name.replace(ENTRY_FILE, '');
    const e = entries.get(id) ?? { files: [], bytes: 0 };
    e.files.push(name);
    e.bytes += s.size;
    entries.set(id, e);
    total += s.size;
  }
  for (const id of [...entries.keys()].sort()) {
    if (total <= maxBytes) break;
    const e = entries.get(id)!;
    for (const f of e.files) await rm(join(dir, f), { force: true });
    total -= e.bytes;
  }
}
