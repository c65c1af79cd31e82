import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@airlock/shared/node';

/**
 * Each runtime the agent starts leads its own process group, recorded in `run/<pid>.json` with the
 * kernel's start time of that process. After the agent itself was killed, the next start stops every
 * recorded group whose leader is still that same process (same pid and start time, so a recycled pid
 * is never hit) before it starts anything.
 */
export class ProcessRecords {
  constructor(private readonly dir: string) {}

  async add(pid: number, what: Record<string, string>): Promise<void> {
    const started = await startTime(pid);
    if (started === null) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, `${pid}.json`), `${JSON.stringify({ pid, started, ...what })}\n`, { mode: 0o600 });
  }

  async remove(pid: number): Promise<void> {
    await rm(join(this.dir, `${pid}.json`), { force: true });
  }

  /** Stops what a previous run left: SIGTERM to each live group, SIGKILL after `graceMs`. Returns the pids stopped. */
  async reclaim(graceMs: number): Promise<number[]> {
    const stopped: number[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const record = await readFile(join(this.dir, name), 'utf8').then((t) => JSON.parse(t) as { pid?: unknown; started?: unknown }, () => null);
      const pid = typeof record?.pid === 'number' ? record.pid : null;
      if (pid !== null && record?.started === (await startTime(pid))) {
        signalGroup(pid, 'SIGTERM');
        stopped.push(pid);
      }
      await rm(join(this.dir, name), { force: true });
    }
    const deadline = Date.now() + graceMs;
    for (const pid of stopped) {
      while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
    }
    return stopped;
  }
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
async function startTime(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
