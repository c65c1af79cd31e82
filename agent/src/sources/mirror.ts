import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AirlockError, isAirlockError, toErrorData } from '@airlock/shared/common';
import type { Logger } from '../log.js';
import { isBundleName } from './watch.js';

const IndexSchema = z.object({ bundles: z.array(z.object({ path: z.string(), size: z.int().min(0) })) });

/**
 * Polls a static mirror (`index.json` listing bundle files) and downloads bundles it has not seen into
 * the agent's own download folder. Nothing from the mirror is trusted: the bundle is verified like any other,
 * and a download never grows beyond the size index.json declares.
 */
export function pollMirror(url: string, intervalMs: number, downloadDir: string, onFile: (path: string) => void, log: Logger): () => void {
  /** bundles dealt with: downloaded, or refused for being larger than declared (until index.json changes) */
  const fetched = new Set<string>();
  let stopped = false;
  const base = url.endsWith('/') ? url : `${url}/`;
  const tick = async () => {
    try {
      const res = await fetch(new URL('index.json', base), { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`index.json answered ${res.status}`);
      const index = IndexSchema.parse(await res.json());
      await mkdir(downloadDir, { recursive: true });
      await removePartials(downloadDir);
      for (const b of index.bundles) {
        const key = `${b.path}:${b.size}`;
        if (fetched.has(key) || !isBundleName(b.path) || b.path.includes('..')) continue;
        const target = join(downloadDir, b.path.replaceAll('/', '_'));
        try {
          await download(new URL(b.path, base), `${target}.partial`, b.size);
        } catch (err) {
          await rm(`${target}.partial`, { force: true });
          // Too large is the mirror's file, not the transfer: fetching it again would only fill the disk again.
          if (isAirlockError(err, 'BUNDLE_TOO_LARGE')) fetched.add(key);
          log('warn', 'mirror download discarded', { url, path: b.path, declared: b.size, ...toErrorData(err) });
          continue;
        }
        await rename(`${target}.partial`, target);
        fetched.add(key);
        onFile(target);
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

/** A download cut short by a kill leaves a `.partial` that no later download would remove. */
async function removePartials(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith('.partial')) await rm(join(dir, name), { force: true });
}
