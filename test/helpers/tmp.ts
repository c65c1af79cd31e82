import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { processesIn } from './processes.js';

/**
 * Temp directories, removed after use. A process still working inside one then (a model runtime an
 * agent left behind) is killed and reported on stderr with its directory, so that the machine stays
 * clean and a leak shows which test made it. (Reported, not failed: one rare leak under the parallel
 * suite is not found yet; the fault tests assert no orphans where that is the promise.)
 */
function tempDirs(cleanup: (fn: () => Promise<void>) => void): (prefix?: string) => Promise<string> {
  const dirs: string[] = [];
  cleanup(async () => {
    const leftovers = (await Promise.all(dirs.map((d) => processesIn(d)))).flat();
    for (const p of leftovers) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // it ended on its own meanwhile
      }
    }
    if (leftovers.length) process.stderr.write(`LEAK: processes were left running in ${dirs.join(', ')}: ${JSON.stringify(leftovers)}\n`);
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
