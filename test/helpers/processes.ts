import { readdir, readFile, readlink } from 'node:fs/promises';

export interface Proc {
  pid: number;
  ppid: number;
}

/** Live processes working inside `dir` (runtimes run in their release directory), with their parents. */
export async function processesIn(dir: string): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (!cwd.startsWith(`${dir}/`)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent has yet to collect it.
    if (fields[0] === 'Z') continue;
    out.push({ pid: Number(name), ppid: Number(fields[1]) });
  }
  return out;
}
