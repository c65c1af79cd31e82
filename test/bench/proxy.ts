/**
 * The slot proxy's cost per request, side by side in one run: the example runtime called directly,
 * through nginx (Debian's nginx-light, one worker, upstream keep-alive), and through the agent's slot
 * proxy — each in front of its own identical runtime process. Closed-loop throughput and CPU per
 * request come from wrk (autocannon when wrk is missing); the added p99 at a steady 2,000 requests/s
 * from an open-loop generator in a process of its own.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, waitFor } from '../helpers/agent.js';
import { CHURN } from '../helpers/registry.js';
import { fmt } from './measure.js';

const SECONDS = Number(process.env.AIRLOCK_BENCH_LOAD_SECONDS ?? 8);
const CONNECTIONS = 16;
const FIXED_RATE = 2000;
export const BODY = JSON.stringify({ record: { tenure_months: 12, monthly_charges: 70, support_calls: 2, contract_annual: 0 } });
const FIXED_RATE_SCRIPT = fileURLToPath(new URL('./fixed-rate.mjs', import.meta.url));
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;

/** CPU seconds a set of processes used so far (user + system), from /proc. */
async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS;
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** A runtime process of the example, as the agent would start it. */
export async function startRuntime(): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(CHURN, 'serve.mjs')], { env: { ...process.env, MODEL_DIR: CHURN, PORT: String(port) }, stdio: 'ignore' });
  await waitFor(async () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 10_000, 'the runtime');
  return { port, proc };
}

/** nginx as a reverse proxy in front of `upstream`, from a generated config; null when nginx is not installed. */
export async function startNginx(dir: string, upstream: number): Promise<{ port: number; pids: () => Promise<number[]>; stop(): void } | null> {
  const nginx = which('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
  if (!nginx) return null;
  const port = await freePort();
  await mkdir(join(dir, 'nginx', 'logs'), { recursive: true });
  const conf = join(dir, 'nginx', 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx', 'nginx.pid')};
error_log ${join(dir, 'nginx', 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'nginx', 'body')};
  proxy_temp_path ${join(dir, 'nginx', 'proxy')};
  upstream runtime { server 127.0.0.1:${upstream}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://runtime; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const proc = spawn(nginx, ['-c', conf, '-p', join(dir, 'nginx')], { stdio: 'ignore' });
  await waitFor(async () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 10_000, 'nginx');
  const pids = async () => {
    const children = (await readFile(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
    return [proc.pid!, ...children];
  };
  return { port, pids, stop: () => proc.kill('SIGTERM') };
}

/** The bare Node proxy (node-floor-proxy.mjs) in front of `upstream`: what Node's HTTP stack alone costs. */
export async function startNodeFloor(upstream: number): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [fileURLToPath(new URL('./node-floor-proxy.mjs', import.meta.url)), String(port), String(upstream)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve) => proc.once('message', resolve));
  return { port, proc };
}

interface Closed {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

/** Closed-loop load: wrk (1 thread, 16 connections) when installed, else autocannon. */
async function closedLoop(dir: string, port: number): Promise<Closed> {
  if (which('wrk')) {
    const script = join(dir, 'post.lua');
    await writeFile(script, `wrk.method = "POST"\nwrk.body = '${BODY}'\nwrk.headers["Content-Type"] = "application/json"\n`);
    const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/predict`], { encoding: 'utf8' });
    const ms = (v: string, unit: string) => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
    const lat = (p: string) => {
      const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out)!;
      return ms(m[1]!, m[2]!);
    };
    const requests = Number(/(\d+) requests in/.exec(out)![1]);
    const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0);
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p50: lat('50'), p99: lat('99'), requests, errors };
  }
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/predict`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: SECONDS }, (err, r) => {
      if (err) return reject(err);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors + r.non2xx });
    });
  });
}

function fixedRate(port: number): Promise<{ ok: number; failed: number; p50: number; p99: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [FIXED_RATE_SCRIPT, String(port), String(FIXED_RATE), String(SECONDS), BODY], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`fixed-rate load exited ${code}`))));
  });
}

export interface Path {
  label: string;
  port: number;
  /** the proxy's own processes, whose CPU is charged per request; none for the direct path */
  pids: () => Promise<number[]>;
}

/** Measures every path: closed-loop throughput and CPU per request, then the fixed-rate p99; returns CPU µs per request by label. */
export async function compareProxies(dir: string, paths: Path[], print: (line: string) => void, sampleRss?: () => Promise<number>): Promise<Map<string, number | null>> {
  // The steady-rate run comes first, so that the agent's RSS is measured under that load and not
  // after the saturating runs have grown its heap.
  // Three interleaved rounds, the median p99 of each path: one round's p99 on two shared cores is noise.
  const rounds = new Map<string, Awaited<ReturnType<typeof fixedRate>>[]>(paths.map((p) => [p.label, []]));
  let rss = 0;
  for (let round = 0; round < 3; round++) {
    for (const p of paths) {
      const sampling = sampleRss && p === paths.at(-1) ? setInterval(() => void sampleRss().then((m) => (rss = Math.max(rss, m))), 250) : undefined;
      rounds.get(p.label)!.push(await fixedRate(p.port));
      clearInterval(sampling);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fixed = new Map([...rounds].map(([label, rs]) => [label, { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), failed: rs.reduce((n, r) => n + r.failed, 0) }]));
  const closed = new Map<string, Closed & { cpuUs: number | null }>();
  for (const p of paths) await closedLoop(dir, p.port);
  for (const p of paths) {
    const pids = await p.pids();
    const before = await cpuSeconds(pids);
    const r = await closedLoop(dir, p.port);
    const cpu = pids.length ? ((await cpuSeconds(pids)) - before) / r.requests : null;
    closed.set(p.label, { ...r, cpuUs: cpu === null ? null : cpu * 1e6 });
  }
  const direct = closed.get(paths[0]!.label)!;
  const tool = which('wrk') ? 'wrk' : 'autocannon';
  print(`    closed loop (${tool}, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s, POST /predict)`);
  for (const p of paths) {
    const r = closed.get(p.label)!;
    print(`      ${p.label.padEnd(26)} ${fmt(r.rps, 0).padStart(7)} req/s (${fmt(r.rps / direct.rps)}× direct)  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms${r.cpuUs === null ? '' : `  CPU ${fmt(r.cpuUs, 1)} µs/request`}  errors ${r.errors}`);
  }
  const directFixed = fixed.get(paths[0]!.label)!;
  print(`    fixed rate (${FIXED_RATE} requests/s for ${SECONDS} s, open loop, median of 3 interleaved rounds; added = path p99 − direct p99)`);
  for (const p of paths) {
    const r = fixed.get(p.label)!;
    print(`      ${p.label.padEnd(26)} p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  added p99 ${fmt(r.p99 - directFixed.p99, 3)} ms  failed ${r.failed}`);
  }
  const nginx = paths.find((p) => p.label.startsWith('nginx'));
  const proxy = paths.at(-1)!;
  const c = closed.get(proxy.label)!;
  const n = nginx ? closed.get(nginx.label)! : null;
  const cpuByLabel = new Map([...closed].map(([label, r]) => [label, r.cpuUs]));
  print(`    targets: CPU/request ${n?.cpuUs ? `${fmt(c.cpuUs! / n.cpuUs, 2)}× nginx` : 'n/a (nginx not installed)'} (≤ 2×); throughput ${fmt(c.rps / direct.rps, 2)}× direct (≥ 0.5×); added p99 at ${FIXED_RATE}/s ${fmt(fixed.get(proxy.label)!.p99 - directFixed.p99, 3)} ms (≤ 1 ms)${sampleRss ? `; agent RSS under load ${fmt(rss, 0)} MiB (< 120 MiB)` : ''}`);
  return cpuByLabel;
}
