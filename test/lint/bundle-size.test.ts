import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ASSETS = fileURLToPath(new URL('../../apps/console/dist/renderer/assets', import.meta.url));

describe('the renderer bundle', () => {
  it('stays under 600 KiB gzipped, scripts and styles together', () => {
    const files = readdirSync(ASSETS).filter((f) => /\.(js|css)$/.test(f));
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(join(ASSETS, f)), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThan(600 * 1024);
  });
});
