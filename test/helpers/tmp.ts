import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

function tempDirs(cleanup: (fn: () => Promise<void>) => void): (prefix?: string) => Promise<string> {
  const dirs: string[] = [];
  cleanup(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (prefix = 'airlock-test-') => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** A fresh temp directory per call, removed after the test. */
export const useTempDirs = () => tempDirs(afterEach);

/** A temp directory that lives for the whole file (for fixtures built in beforeAll). */
export const useSuiteTempDirs = () => tempDirs(afterAll);
