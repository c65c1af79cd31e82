import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { AirlockError } from '@airlock/shared/common';

const startTime = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
};

/** The agent process holding the state directory's lock file, if it is still that process. */
export async function lockHolder(path: string): Promise<number | null> {
  const held = await readFile(path, 'utf8').then((t) => JSON.parse(t) as { pid?: unknown; started?: unknown }, () => null);
  const pid = held?.pid;
  if (typeof pid !== 'number' || pid <= 1 || typeof held?.started !== 'string') return null;
  return startTime(pid) === held.started ? pid : null;
}

/**
 * One agent per state directory: taken before anything in it is touched (staging, runtimes, counters),
 * created exclusively, naming the holder's pid and start time so that a lock left by a killed agent is
 * recognised as stale. Returns the release.
 */
export async function lockStateDir(path: string, dir: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${JSON.stringify({ pid: process.pid, started: startTime(process.pid) })}\n`);
      await fh.close();
      return async () => {
        if ((await lockHolder(path)) === process.pid) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await lockHolder(path);
      if (holder !== null) throw new AirlockError('CONFLICT', `Another agent (pid ${holder}) is running on ${dir}. Stop it first, or give this one its own state directory.`);
      await rm(path, { force: true });
    }
  }
  throw new AirlockError('CONFLICT', `Another agent took ${path} while this one started; try again.`);
}
