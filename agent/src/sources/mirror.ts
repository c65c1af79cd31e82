import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { isBundleName } from './watch.js';

const IndexSchema = z.object({ bundles: z.array(z.object({ path: z.string(), size: z.int().min(0) })) });

/**
 * Polls a static mirror (`index.json` listing bundle files) and downloads bundles it has not seen into
 * the agent's own download folder. Nothing from the mirror is trusted: the bundle is verified like any other.
 */
export function pollMirror(url: string, intervalMs: number, downloadDir: string, onFile: (path: string) => void, log: Logger): () => void {
  const fetched = new Set<string>();
  let stopped = false;
  const base = url.endsWith('/') ? url : `${url}/`;
  const tick = async () => {
    try {
      const res = await fetch(new URL('index.json', base), { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`index.json answered ${res.status}`);
      const index = IndexSchema.parse(await res.json());
      for (const b of index.bundles) {
        const key = `${b.path}:${b.size}`;
        if (fetched.has(key) || !isBundleName(b.path) || b.path.includes('..')) continue;
        await mkdir(downloadDir, { recursive: true });
        const target = join(downloadDir, b.path.replaceAll('/', '_'));
        const body = await fetch(new URL(b.path, base), { signal: AbortSignal.timeout(3_600_000) });
        if (!body.ok || !body.body) throw new Error(`${b.path} answered ${body.status}`);
        await pipeline(Readable.fromWeb(body.body as never), createWriteStream(`${target}.partial`));
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
