/** Shared measurement helpers for `npm run bench`: timing, best-of-N, reference commands, test files. */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const MiB = 1024 * 1024;
export const SIZES = (process.env.AIRLOCK_BENCH_SIZES_MIB ?? '256,1024').split(',').map(Number);
export const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 3);

export interface Measured {
  seconds: number;
  maxRssMiB: number;
  digest?: string;
}

/**
 * Bundles the worker to one JS file, like the shipped programs, so no TypeScript loader sits in the
 * measured process's RSS. CommonJS dependencies (tweetnacl) call require(); the ESM bundle gets one.
 */
export async function buildWorker(): Promise<string> {
  // Inside the checkout, so that the native better-sqlite3 left out of the bundle resolves.
  const out = fileURLToPath(new URL('../.tmp/bench-worker.mjs', import.meta.url));
  await build({
    entryPoints: [new URL('./worker.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'error',
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return out;
}

export function ours(worker: string, op: string, args: string[]): Measured {
  const r = spawnSync(process.execPath, [worker, op, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measured;
}

export function timed(cmd: string): number {
  const t = process.hrtime.bigint();
  execFileSync('bash', ['-c', cmd], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Best of RUNS; every run starts with no dirty pages, so nobody pays for the previous run's writeback. */
export function best<T extends { seconds: number }>(fn: () => T): T {
  let winner: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    execFileSync('sync');
    const r = fn();
    if (!winner || r.seconds < winner.seconds) winner = r;
  }
  return winner!;
}

export async function makeFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(16 * MiB);
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!out.write(left >= block.length ? block : block.subarray(0, left))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
}

export const fmt = (n: number, d = 2) => n.toFixed(d).padStart(6);

/** Percentile of a list of durations in ms. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
