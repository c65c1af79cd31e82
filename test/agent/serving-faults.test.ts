import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { agentCli, churnSlot, churnVariantDir, freePort, loadLoop, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { processesIn } from '../helpers/processes.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, type TrustFixture } from '../helpers/trust.js';

/**
 * Issue 9's faults around serving and control calls, each injected into a real agent process: a control
 * call that names no file or a FIFO, an agent killed with its runtimes running, SIGTERM under load, a
 * rollback without --to, an active runtime killed under load, a hung runtime, failed installs in a row.
 */
const tempDir = useTempDirs();
const agents: RunningAgent[] = [];
let dir: string;
let trust: TrustFixture;
let store: ContentStore;
let seq = 0;
const RECORD = { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 };

/** Endpoints a test runtime adds to the example: /slow answers after 1.5 s, /hang never answers. */
const SLOW_AND_HANG = `
const handle = server.listeners('request')[0];
server.removeAllListeners('request');
server.on('request', (req, res) => {
  if (req.url === '/slow') return void setTimeout(() => send(res, 200, { slow: true }), 1500);
  if (req.url === '/hang') return;
  handle(req, res);
});`;

beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'registry-store'));
  seq = 0;
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

async function start(opts: Partial<Parameters<typeof startAgent>[0]> = {}): Promise<RunningAgent> {
  const a = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), ...opts });
  agents.push(a);
  return a;
}

/** A bundle of the example at `version` (optionally from a variant directory), at the next sequence. */
async function bundle(version: number, srcDir?: string, health: Record<string, unknown> = {}): Promise<string> {
  seq += 1;
  const path = join(dir, `b${seq}.airlock`);
  await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { version, ...(srcDir ? { dir: srcDir } : {}), health: { probationMs: 300, ...health } }) }, sequence: seq }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
  return path;
}

const servingRelease = async (a: RunningAgent) => (await a.call({ op: 'status' })).slots[0]!.release;
const orphans = async (stateDir: string) => (await processesIn(stateDir)).filter((p) => p.ppid === 1);

describe('agent faults: control calls and media', () => {
  it('apply and verify of a file that does not exist answer an error; the daemon keeps serving', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    expect(await a.call({ op: 'apply', path: '/no/such/file.airlock' })).toMatchObject({ outcome: 'refused', code: 'NOT_FOUND' });
    await expect(a.call({ op: 'verify', path: '/no/such/file.airlock' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(a.proc.exitCode).toBe(null);
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
    expect(await a.call({ op: 'apply', path: await bundle(2) })).toMatchObject({ outcome: 'applied' });
  }, 60_000);

  it('a FIFO (or device) is refused NOT_A_FILE at once; later applies run and SIGTERM exits cleanly', async () => {
    const a = await start();
    const fifo = join(dir, 'pipe.airlock');
    execFileSync('mkfifo', [fifo]);
    expect(await a.call({ op: 'apply', path: fifo })).toMatchObject({ outcome: 'refused', code: 'NOT_A_FILE' });
    expect(await a.call({ op: 'apply', path: '/dev/zero' })).toMatchObject({ outcome: 'refused', code: 'NOT_A_FILE' });
    await expect(a.call({ op: 'verify', path: fifo })).rejects.toMatchObject({ code: 'NOT_A_FILE' });
    expect(await a.call({ op: 'apply', path: await bundle(1) })).toMatchObject({ outcome: 'applied' });
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 60_000);

  it('of two agents started at the same instant on one state directory, exactly one runs', async () => {
    const first = await start();
    await first.stop();
    const config = join(first.stateDir, 'agent.json');
    const [x, y] = await Promise.all([agentCli(['--config', config, 'run'], {}, 4000), agentCli(['--config', config, 'run'], {}, 4000)]);
    const refused = [x, y].filter((r) => r.code === 1 && /CONFLICT: Another agent \(pid \d+\) is running on/.test(r.stderr));
    expect(refused.length, `${x.stderr} | ${y.stderr}`).toBe(1);
  }, 60_000);

  it('a second agent on the same state directory refuses to start and leaves the first one serving', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    // Even with its control socket removed, the lock names the running agent; nothing of it is touched.
    await rm(join(a.stateDir, 'agent.sock'));
    const runtimes = await processesIn(a.stateDir);
    const second = await agentCli(['--config', join(a.stateDir, 'agent.json'), 'run']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`CONFLICT: Another agent (pid ${a.proc.pid}) is running on ${a.stateDir}`);
    expect(await processesIn(a.stateDir)).toEqual(runtimes);
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
  }, 60_000);

  it('`airlock-agent stop` drains and stops like SIGTERM', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    const r = await agentCli(['--config', join(a.stateDir, 'agent.json'), 'stop']);
    expect(r.stdout).toContain('the agent is stopping');
    expect(await a.exited).toBe(0);
    expect(await processesIn(a.stateDir)).toEqual([]);
  }, 60_000);

  it('forged process records make the agent signal nothing but its own runtimes', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    await a.stop();
    // A process that leads its own group, as a runtime would, but is not one of the agent's.
    const victim = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
    const stat = await readFile(`/proc/${victim.pid}/stat`, 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const run = join(a.stateDir, 'run');
    await mkdir(run, { recursive: true });
    const forged = [{ pid: victim.pid, started }, { pid: -victim.pid!, started: null }, { pid: 0, started: null }, { pid: 1, started: '1' }, { pid: process.pid, started: 'x' }];
    for (const [i, f] of forged.entries()) await writeFile(join(run, `forged-${i}.json`), JSON.stringify(f));
    try {
      const b = await start();
      expect((await predict(b.proxy, RECORD)).status).toBe(200);
      expect(victim.exitCode).toBe(null);
      expect(victim.signalCode).toBe(null);
      process.kill(victim.pid!, 0);
    } finally {
      victim.kill('SIGKILL');
    }
  }, 60_000);

  it('a defect that escapes every handler stops the runtimes and exits non-zero: nothing is orphaned', async () => {
    const first = await start();
    await first.call({ op: 'apply', path: await bundle(1) });
    await first.stop();
    const doomed = await start({ env: { AIRLOCK_AGENT_FAULT_AT_STEP: 'switched', AIRLOCK_AGENT_FAULT_KIND: 'throw' } });
    await expect(doomed.call({ op: 'apply', path: await bundle(2) })).rejects.toThrow();
    expect(await doomed.exited).toBe(70);
    expect(doomed.logs.join('')).toMatch(/"level":"fatal".*injected fault/);
    expect(await orphans(doomed.stateDir)).toEqual([]);
  }, 60_000);
});

describe('agent faults: runtimes', () => {
  it('after SIGKILL of the agent, the next start stops the runtimes it left before starting new ones', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    await a.call({ op: 'apply', path: await bundle(2) });
    const before = await processesIn(a.stateDir);
    expect(before.length, 'blue/green: the active runtime and its warm standby').toBe(2);
    a.proc.kill('SIGKILL');
    await a.exited;
    const left = (await waitFor(async () => ((await orphans(a.stateDir)).length === 2 ? orphans(a.stateDir) : null), 10_000, 'the runtimes to be orphaned'))!;
    expect(left.map((p) => p.pid).sort()).toEqual(before.map((p) => p.pid).sort());
    // Even without its records (a kill between a spawn and its record), a leftover runtime is found.
    await rm(join(a.stateDir, 'run'), { recursive: true, force: true });
    const b = await start();
    expect(b.logs.join('')).toMatch(/stopped runtimes a previous run left behind/);
    const now = await processesIn(b.stateDir);
    expect(now.filter((p) => left.some((l) => l.pid === p.pid)), 'no leftover survives').toEqual([]);
    expect(now.every((p) => p.ppid === b.proc.pid)).toBe(true);
    expect(now.length).toBe(2);
    await b.stop();
    expect(await processesIn(b.stateDir)).toEqual([]);
  }, 60_000);

  it('SIGTERM drains requests in flight before it stops the runtimes', async () => {
    const slow = await churnVariantDir(dir, 'slow', { serveAppend: SLOW_AND_HANG });
    const a = await start({ config: { drainGraceMs: 10_000 } });
    await a.call({ op: 'apply', path: await bundle(1, slow) });
    const inFlight = Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${a.proxy}/slow`, { method: 'POST', body: '{}' }).then((r) => r.status, (e: Error) => `error: ${e.message}`));
    await waitFor(async () => /airlock_proxy_in_flight_requests\{slot="main"\} 8/.test(await (await fetch(`http://127.0.0.1:${a.admin}/metrics`)).text()), 10_000, 'eight requests in flight');
    a.proc.kill('SIGTERM');
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill(200));
    expect(await a.exited).toBe(0);
    expect(await processesIn(a.stateDir)).toEqual([]);
  }, 60_000);

  it('rollback without --to goes to the release that served before (the warm standby) and leaks no runtime', async () => {
    const a = await start();
    for (const v of [1, 2, 3]) await a.call({ op: 'apply', path: await bundle(v) });
    expect(await a.call({ op: 'rollback', slot: 'main', to: 'prod-1-churn-1' })).toMatchObject({ to: 'prod-1-churn-1', warm: false });
    expect(await a.call({ op: 'rollback', slot: 'main', to: 'prod-2-churn-2' })).toMatchObject({ to: 'prod-2-churn-2', warm: false });
    expect((await processesIn(a.stateDir)).length, 'the active release and one standby').toBe(2);
    expect(await a.call({ op: 'rollback', slot: 'main' })).toMatchObject({ from: 'prod-2-churn-2', to: 'prod-1-churn-1', warm: true });
    expect((await processesIn(a.stateDir)).length).toBe(2);
    await a.stop();
    expect(await processesIn(a.stateDir)).toEqual([]);
  }, 90_000);

  it('an active runtime that crashes under load fails over to the warm standby at once: no request fails', async () => {
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    await a.call({ op: 'apply', path: await bundle(2) });
    const load = loadLoop(a.proxy, 32);
    await waitFor(() => load.counts().ok > 500, 20_000, 'load to run');
    const active = JSON.parse(await readFile(join(a.stateDir, 'run', `${await runtimePid(a, 'prod-2-churn-2')}.json`), 'utf8')) as { pid: number };
    process.kill(active.pid, 'SIGKILL');
    await waitFor(async () => (await servingRelease(a)) === 'prod-1-churn-1', 10_000, 'the failover');
    expect((await a.call({ op: 'status' })).alerts).toEqual([expect.objectContaining({ code: 'FAILED_OVER', slot: 'main' })]);
    const okAtSwitch = load.counts().ok;
    await waitFor(() => load.counts().ok > okAtSwitch + 500, 20_000, 'load to continue on the standby');
    const result = await load.stop();
    expect(result.failed, JSON.stringify(result.statuses)).toBe(0);
    await a.call({ op: 'report' });
    expect(await readFile(join(a.stateDir, 'audit.jsonl'), 'utf8')).toMatch(/"action":"slot.failover".*"crashed":"prod-2-churn-2".*"serving":"prod-1-churn-1"/);
    // The crashed release restarts behind it and is the standby now: a rollback switches back warm.
    await waitFor(async () => (await processesIn(a.stateDir)).length === 2, 10_000, 'the crashed runtime to restart');
    await waitFor(async () => {
      const r = await a.call({ op: 'rollback', slot: 'main' }).catch(() => null);
      return r?.warm === true && r.to === 'prod-2-churn-2';
    }, 10_000, 'a warm rollback to the restarted release');
  }, 90_000);

  it('a runtime that hangs is answered 504 after the request timeout and counted as an error', async () => {
    const hang = await churnVariantDir(dir, 'hang', { serveAppend: SLOW_AND_HANG });
    const ports = { admin: await freePort(), proxy: await freePort() };
    const a = await start({ ports, config: { slots: { main: { listen: ports.proxy, requestTimeoutMs: 500 } } } });
    await a.call({ op: 'apply', path: await bundle(1, hang) });
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${a.proxy}/hang`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: 'upstream_timeout', slot: 'main', timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await a.call({ op: 'status' })).slots[0]!.requests).toMatchObject({ error: 1 });
  }, 60_000);

  it('failed installs in a row add no listeners to the serving runtime', async () => {
    const bad = await churnVariantDir(dir, 'bad', { goldenLabel: 0 });
    const a = await start();
    await a.call({ op: 'apply', path: await bundle(1) });
    for (let v = 2; v <= 13; v++) expect(await a.call({ op: 'apply', path: await bundle(v, bad) })).toMatchObject({ outcome: 'rolled_back', code: 'HEALTH_GATE_FAILED' });
    expect(a.logs.join('')).not.toMatch(/MaxListenersExceededWarning/);
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
  }, 120_000);
});

/** The pid of the runtime serving `release`, from the agent's process records. */
async function runtimePid(a: RunningAgent, release: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  for (const name of await readdir(join(a.stateDir, 'run'))) {
    const r = JSON.parse(await readFile(join(a.stateDir, 'run', name), 'utf8')) as { pid: number; release: string };
    if (r.release.endsWith(`/${release}`)) return r.pid;
  }
  throw new Error(`no runtime record for ${release}`);
}
