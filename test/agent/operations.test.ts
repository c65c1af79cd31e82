import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENROLLMENT_PAYLOAD_TYPE,
  EnrollmentSchema,
  fromBase64,
  keyIdOf,
  parseEnvelope,
  REPORT_PAYLOAD_TYPE,
  ReportSchema,
  utf8Decode,
  utf8Encode,
  verifyEnvelope,
} from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { AGENT, agentCli, churnSlot, freePort, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeTrust } from '../helpers/trust.js';

const suiteDir = useSuiteTempDirs();
const trust = makeTrust();
let dir: string;
let agent: RunningAgent;


beforeAll(async () => {
  dir = await suiteDir();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), hostId: 'plant-2-gpu-1' });
  const store = await ContentStore.open(join(dir, 'store'));
  const path = join(dir, 'b.airlock');
  await writeTestBundle(path, store, { slots: { main: await churnSlot(store) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
  await agent.call({ op: 'apply', path });
  for (let i = 0; i < 5; i++) await predict(agent.proxy, { tenure_months: 1, monthly_charges: 1, support_calls: 1, contract_annual: 0 });
}, 60_000);
afterAll(() => agent.stop());

describe('agent operations', () => {
  it('ships as one JS file that prints its help with only Node', async () => {
    const r = await agentCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['init', 'enroll', 'run', 'status', 'rollback', 'apply', 'verify', 'export-reports']) expect(r.stdout).toContain(cmd);
    const source = await readFile(AGENT, 'utf8');
    expect(source).not.toMatch(/require\(["'][^"']+\.node["']\)|better-sqlite3/);
  });

  it('keeps its host key readable by its owner only and its control socket likewise', async () => {
    expect((await stat(join(agent.stateDir, 'host.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(agent.stateDir, 'agent.sock'))).mode & 0o777).toBe(0o600);
  });

  it('exits 2 on a bad configuration, listing every problem', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ stateDir: dir, slots: { main: { listen: 70000 }, Bad: { listen: 1 } }, keepReleases: 1, colour: 'red' }));
    const r = await agentCli(['--config', bad, 'run']);
    expect(r.code).toBe(2);
    for (const field of ['slots.main.listen', 'slots.Bad', 'keepReleases', 'colour']) expect(r.stderr).toContain(field);
    const envBad = await agentCli(['--config', join(dir, 'state/agent.json'), 'run'], { AIRLOCK_AGENT_ADMIN_PORT: 'nine' });
    expect(envBad.code).toBe(2);
    expect(envBad.stderr).toContain('admin.listen');
  });

  it('serves /healthz, /readyz and Prometheus /metrics on loopback, which promtool accepts', async () => {
    expect((await fetch(`http://127.0.0.1:${agent.admin}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${agent.admin}/readyz`)).json()).toEqual({ ready: true, notReady: [], alerts: [] });
    // The same bundle again is refused as a replay, so the refusal counter has something to count.
    expect(await agent.call({ op: 'apply', path: join(dir, 'b.airlock') })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    const res = await fetch(`http://127.0.0.1:${agent.admin}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = await res.text();
    expect(metrics).toMatch(/^airlock_proxy_requests_total\{slot="main",version="churn@1",outcome="2xx"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^airlock_proxy_request_duration_seconds_bucket\{le="\+Inf",slot="main",version="churn@1"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^airlock_slot_healthy\{slot="main"\} 1$/m);
    expect(metrics).toMatch(/^airlock_build_info\{version="\d+\.\d+\.\d+",node="v\d+\.\d+\.\d+"\} 1$/m);
    expect(metrics).toMatch(/^airlock_bundle_applies_total\{channel="prod"\} 1$/m);
    expect(metrics).toMatch(/^airlock_bundle_refusals_total\{code="BUNDLE_REPLAYED"\} 1$/m);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    // Every family has HELP and TYPE and follows the naming rules: Debian's prometheus package provides promtool.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is not installed: apt-get install prometheus').toBeUndefined();
    expect({ code: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ code: 0, out: '' });
  });

  it('writes a signed enrollment request', async () => {
    const r = await agentCli(['--state', agent.stateDir, '--json', 'enroll', '--out', join(dir, 'usb')]);
    expect(r.code, r.stderr).toBe(0);
    const env = parseEnvelope(utf8Encode(await readFile(join(dir, 'usb/plant-2-gpu-1.enrollment.json'), 'utf8')));
    const claimed = EnrollmentSchema.parse(JSON.parse(utf8Decode(fromBase64(env.payload))));
    const key = fromBase64(claimed.publicKey);
    verifyEnvelope(env, ENROLLMENT_PAYLOAD_TYPE, { keys: new Map([[keyIdOf(key), key]]), keyIds: [keyIdOf(key)], threshold: 1 });
    expect(claimed).toMatchObject({ hostId: 'plant-2-gpu-1', facts: { node: process.version, agent: '0.1.0' } });
  });

  it('exports signed receipts, status and the audit tail once each', async () => {
    const enrollment = JSON.parse(utf8Decode(fromBase64(parseEnvelope(utf8Encode(await readFile(join(dir, 'usb/plant-2-gpu-1.enrollment.json'), 'utf8'))).payload)));
    const key = fromBase64(enrollment.publicKey);
    expect((await agentCli(['--state', agent.stateDir, 'report'])).code).toBe(0);
    const out = join(dir, 'reports');
    const first = await agentCli(['--state', agent.stateDir, '--json', 'export-reports', '--to', out]);
    expect(first.code, first.stderr).toBe(0);
    const names = (await readdir(out)).sort();
    const kinds = [];
    for (const n of names) {
      const env = parseEnvelope(utf8Encode(await readFile(join(out, n), 'utf8')));
      const { payload } = verifyEnvelope(env, REPORT_PAYLOAD_TYPE, { keys: new Map([[keyIdOf(key), key]]), keyIds: [keyIdOf(key)], threshold: 1 });
      kinds.push(ReportSchema.parse(JSON.parse(utf8Decode(payload))).kind);
    }
    expect(kinds).toEqual(expect.arrayContaining(['receipt', 'status', 'audit']));
    const again = await agentCli(['--state', agent.stateDir, '--json', 'export-reports', '--to', join(dir, 'reports-2')]);
    expect(JSON.parse(again.stdout).result).toEqual([]);
  });

  it('answers status for scripts, and names a stopped agent', async () => {
    const r = await agentCli(['--state', agent.stateDir, '--json', 'status']);
    expect(JSON.parse(r.stdout).result.slots[0]).toMatchObject({ slot: 'main', release: 'prod-1-churn-1', healthy: true });
    const none = await agentCli(['--state', join(dir, 'nowhere'), 'status']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error AGENT_NOT_RUNNING/);
  });
});

describe('shipped agent resources', () => {
  it('the example configuration is valid', async () => {
    const { loadConfig } = await import('../../agent/src/config.js');
    const cfg = await loadConfig({ file: new URL('../../resources/agent/agent.example.json', import.meta.url).pathname, env: {} });
    expect(Object.keys(cfg.slots)).toEqual(['churn', 'assistant']);
  });
});

describe('agent operations on a bad day', () => {
  it('a slot port that is taken names the slot and the configuration key, not EADDRINUSE', async () => {
    const cfg = join(dir, 'clash.json');
    // The running agent holds its slot's port: a second one configured with it must say so.
    await writeFile(cfg, JSON.stringify({ stateDir: join(dir, 'clash'), slots: { main: { listen: agent.proxy } }, admin: { listen: await freePort() } }));
    expect((await agentCli(['--state', join(dir, 'clash'), 'init', '--root', join(dir, 'root.json'), '--host-id', 'clash'])).code).toBe(0);
    const r = await agentCli(['--config', cfg, 'run']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(new RegExp(`^error CONFIG_INVALID: Slot main cannot listen on 127.0.0.1:${agent.proxy} \\(slots\\.main\\.listen\\): another process uses that port`, 'm'))]);
  }, 30_000);

  it('a refused file in a watched folder is remembered across restarts: no second quarantine copy, receipt or review', async () => {
    const watched = join(dir, 'watched');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(watched, { recursive: true });
    const receipts = async (state: string) => (await readdir(join(state, 'outbox')).catch(() => [])).filter((n) => n.includes('receipt')).length;
    const state = join(dir, 'watcher');
    const ports = { admin: await freePort(), proxy: await freePort() };
    const start = () => startAgent({ stateDir: state, rootFile: join(dir, 'root.json'), source: watched, hostId: 'watcher', ports });
    let watcher = await start();
    try {
      await writeFile(join(watched, 'garbage.airlock'), 'not a bundle');
      // The refusal receipt is the last thing the agent writes for a refused file.
      await waitFor(async () => (await receipts(state)) === 1, 10_000, 'the refusal receipt');
      const quarantined = await readdir(join(state, 'quarantine'));
      expect(quarantined).toHaveLength(2);
      await watcher.stop();
      watcher = await start();
      // Proof the restarted agent scanned the folder: a good bundle dropped after the restart is applied.
      const store = await ContentStore.open(join(dir, 'store'));
      await writeTestBundle(join(watched, 'good.airlock'), store, { slots: { main: await churnSlot(store) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
      await waitFor(async () => (await watcher.call({ op: 'status' })).channels.prod === 1, 20_000, 'the good bundle to be applied');
      await waitFor(async () => (await receipts(state)) === 2, 10_000, 'the applied receipt');
      expect(await readdir(join(state, 'quarantine'))).toEqual(quarantined);
      expect(await receipts(state)).toBe(2);
    } finally {
      await watcher.stop();
    }
  }, 60_000);
});
