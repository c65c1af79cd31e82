import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AirlockError, isAirlockError, toErrorData } from '@airlock/shared/common';
import type { Logger } from '../log.js';
import { StateFile } from '../state/state-file.js';
import { isBundleName } from './watch.js';

const IndexSchema = z.object({ bundles: z.array(z.object({ path: z.string(), size: z.int().min(0) })) });
/** An index listing thousands of bundles is a few hundred KiB; anything past this is not an index. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/**
 * Polls a static mirror (`index.json` listing bundle files) and downloads bundles it has not seen into
 * the agent's own download folder. Nothing from the mirror is trusted: the bundle is verified like any other,
 * and a download never grows beyond the size index.json declares.
 */
export function pollMirror(url: string, intervalMs: number, downloadDir: string, onFile: (path: string) => Promise<void>, log: Logger): () => void {
  /**
   * Bundles dealt with: downloaded and offered, or refused for being larger than declared (until
   * index.json changes). Kept across restarts, so a restart does not fetch the whole mirror again.
   */
  const fetched = new Set<string>();
  const memory = new StateFile({ path: join(downloadDir, 'fetched.json'), schema: z.strictObject({ url: z.string(), keys: z.array(z.string()) }), what: 'mirror downloads cache', ifMissing: () => ({ url, keys: [] }), rebuildable: true });
  const remember = async (key: string) => {
    fetched.add(key);
    await memory.write({ url, keys: [...fetched].slice(-10_000) });
  };
  let loaded = false;
  let stopped = false;
  const base = url.endsWith('/') ? url : `${url}/`;
  const tick = async () => {
    try {
      const res = await fetch(new URL('index.json', base), { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`index.json answered ${res.status}`);
      const index = IndexSchema.parse(JSON.parse(await readCapped(res, MAX_INDEX_BYTES, 'index.json')));
      await mkdir(downloadDir, { recursive: true });
      await removePartials(downloadDir);
      if (!loaded) {
        const saved = await memory.read();
        if (saved.url === url) for (const k of saved.keys) fetched.add(k);
        loaded = true;
      }
      for (const b of index.bundles) {
        const key = `${b.path}:${b.size}`;
        if (fetched.has(key) || !isBundleName(b.path) || b.path.includes('..')) continue;
        const target = join(downloadDir, b.path.replaceAll('/', '_'));
        try {
          await download(new URL(b.path, base), `${target}.partial`, b.size);
        } catch (err) {
          await rm(`${target}.partial`, { force: true });
          // Too large is the mirror's file, not the transfer: fetching it again would only fill the disk again.
          if (isAirlockError(err, 'BUNDLE_TOO_LARGE')) await remember(key);
          log('warn', 'mirror download discarded', { url, path: b.path, declared: b.size, ...toErrorData(err) });
          continue;
        }
        await rename(`${target}.partial`, target);
        await onFile(target);
        await remember(key);
        // Applied blobs live in the store now and a refusal keeps its head in quarantine: the copy can go.
        await rm(target, { force: true });
      }
    } catch (err) {
      log('warn', 'mirror poll failed', { url, error: (err as Error).message });
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  let timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Exactly `declared` bytes into `to`: more is BUNDLE_TOO_LARGE (stopped at the first byte over), fewer BUNDLE_TRUNCATED. */
async function download(url: URL, to: string, declared: number): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_600_000) });
  if (!res.ok || !res.body) throw new AirlockError('IO_ERROR', `The mirror answered ${res.status} for ${url.pathname}.`);
  const announced = Number(res.headers.get('content-length'));
  if (announced > declared) {
    await res.body.cancel();
    throw new AirlockError('BUNDLE_TOO_LARGE', `The mirror announces ${announced} bytes for ${url.pathname}; index.json declares ${declared}.`);
  }
  let received = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > declared) done(new AirlockError('BUNDLE_TOO_LARGE', `The mirror sent more than the ${declared} bytes index.json declares for ${url.pathname}.`));
      else done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as never), cap, createWriteStream(to));
  if (received < declared) throw new AirlockError('BUNDLE_TRUNCATED', `The mirror sent ${received} of the ${declared} bytes index.json declares for ${url.pathname}.`);
}

/** A response body read up to `max` bytes; a longer one is refused without reading the rest. */
async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new AirlockError('BUNDLE_TOO_LARGE', `The mirror's ${what} is larger than ${max} bytes.`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A download cut short by a kill leaves a `.partial` that no later download would remove. */
async function removePartials(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith('.partial')) await rm(join(dir, name), { force: true });
}
