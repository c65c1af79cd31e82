import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Each runtime the agent starts leads its own process group, recorded in `run/<pid>.json` with the
 * kernel's start time of that process. After the agent itself was killed, the next start stops every
 * recorded group before it starts anything — but only a group whose leader is provably one of this
 * agent's runtimes: same pid and start time (a recycled pid is never hit), the leader of its own group,
 * working inside this state directory's slots, and a record this user wrote. A forged record can make
 * the agent signal nothing else.
 */
export class ProcessRecords {
  constructor(
    private readonly dir: string,
    /** runtimes run in release directories under here */
    private readonly slotsDir: string,
  ) {}

  /** Written synchronously right after the spawn, so no kill of the agent can fall between the two. */
  add(pid: number, what: Record<string, string>): void {
    const started = facts(readFileSafe(`/proc/${pid}/stat`))?.started;
    if (!started) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, `${pid}.json`), `${JSON.stringify({ pid, started, ...what })}\n`, { mode: 0o600 });
  }

  async remove(pid: number): Promise<void> {
    await rm(join(this.dir, `${pid}.json`), { force: true });
  }

  /**
   * Stops what a previous run left: SIGTERM to each live group, SIGKILL after `graceMs`. Returns the
   * pids stopped. Besides the records, /proc is searched for runtimes a record missed (the agent killed
   * between a spawn and its record): this user's group leaders working in the slots with MODEL_DIR in
   * the slots, as only the agent starts them. Call it holding the state directory's lock.
   */
  async reclaim(graceMs: number): Promise<number[]> {
    const stopped = new Set<number>();
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name);
      const pid = await this.recorded(path);
      if (pid !== null && (await this.isRuntime(pid))) stopped.add(pid);
      await rm(path, { force: true });
    }
    for (const name of await readdir('/proc').catch(() => [] as string[])) {
      const pid = Number(name);
      if (Number.isSafeInteger(pid) && !stopped.has(pid) && (await this.isRuntime(pid, true))) stopped.add(pid);
    }
    for (const pid of stopped) signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    for (const pid of stopped) {
      while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
    }
    return [...stopped];
  }

  /** A record this user wrote whose process is still the one recorded (same start time). */
  private async recorded(path: string): Promise<number | null> {
    const owner = await lstat(path).catch(() => null);
    if (!owner?.isFile() || owner.uid !== process.getuid?.()) return null;
    const record = await readFile(path, 'utf8').then((t) => JSON.parse(t) as { pid?: unknown; started?: unknown }, () => null);
    const pid = record?.pid;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || typeof record?.started !== 'string' || record.started === '') return null;
    return facts(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null))?.started === record.started ? pid : null;
  }

  /** One of this agent's runtimes: this user's, leading its own group (not the agent's), working in the slots. */
  private async isRuntime(pid: number, needEnvironment = false): Promise<boolean> {
    if (pid <= 1 || pid === process.pid) return false;
    const now = facts(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null));
    const own = facts(readFileSafe('/proc/self/stat'));
    if (!now || now.group !== pid || now.group === own?.group) return false;
    if ((await stat(`/proc/${pid}`).catch(() => null))?.uid !== process.getuid?.()) return false;
    const slots = await realpath(this.slotsDir).catch(() => this.slotsDir);
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (!cwd.startsWith(`${slots}/`)) return false;
    if (!needEnvironment) return true;
    const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    return env.split('\0').some((v) => v.startsWith(`MODEL_DIR=${this.slotsDir}/`) || v.startsWith(`MODEL_DIR=${slots}/`));
  }
}

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** From /proc/PID/stat: the process group (field 5) and the start time in clock ticks since boot (field 22). */
function facts(stat: string | null): { group: number; started: string } | null {
  if (!stat) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return f[2] && f[19] ? { group: Number(f[2]), started: f[19] } : null;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!(pgid > 1)) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

export function groupAlive(pgid: number): boolean {
  if (!(pgid > 1)) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
