import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, churnVariantDir, loadLoop, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, type TrustFixture } from '../helpers/trust.js';

const tempDir = useTempDirs();
const agents: RunningAgent[] = [];
let dir: string;
let trust: TrustFixture;
let store: ContentStore;
let agent: RunningAgent;
const roots = () => new Map([[1, trust.rootEnvelope]]);
const HIGH_RISK = { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 };


beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'registry-store'));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

async function start(opts: Partial<Parameters<typeof startAgent>[0]> = {}) {
  agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), ...opts });
  agents.push(agent);
  return agent;
}

async function bundle(name: string, spec: Parameters<typeof writeTestBundle>[2], signers = trust.releaseSigners, carried = roots()): Promise<string> {
  const path = join(dir, `${name}.airlock`);
  await writeTestBundle(path, store, spec, signers, carried);
  return path;
}

const apply = (path: string) => agent.call({ op: 'apply', path });
const status = () => agent.call({ op: 'status' });

describe('agent: verify, apply, serve', () => {
  it('applies a bundle dropped into its source folder and serves it through the slot proxy', async () => {
    const usb = join(dir, 'usb');
    await mkdir(usb);
    await start({ source: usb });
    const before = await fetch(`http://127.0.0.1:${agent.proxy}/predict`, { method: 'POST', body: '{}' });
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ error: 'unavailable', slot: 'main' });
    await writeFile(join(usb, '._b1.airlock'), 'mac junk');
    await copyFile(await bundle('b1', { slots: { main: await churnSlot(store) }, sequence: 1 }), join(usb, 'b1.airlock'));
    await waitFor(async () => (await predict(agent.proxy, HIGH_RISK)).status === 200, 20_000, 'the slot to serve');
    expect((await predict(agent.proxy, HIGH_RISK)).body).toMatchObject({ label: 1 });
    await waitFor(async () => (await readdir(join(agent.stateDir, 'outbox')).catch(() => [])).some((n) => n.endsWith('-receipt.json')), 10_000, 'a receipt');
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
    expect(JSON.parse(await readFile(join(agent.stateDir, 'slots/main/current/model.json'), 'utf8')).type).toBe('logistic_regression');
    expect(await readdir(usb)).toEqual(['._b1.airlock', 'b1.airlock']);
  }, 60_000);

  it('never switches to a release that fails its health gate', async () => {
    await start();
    expect((await apply(await bundle('v1', { slots: { main: await churnSlot(store) }, sequence: 1 }))).outcome).toBe('applied');
    const bad = await churnSlot(store, { dir: await churnVariantDir(dir, 'wrong', { goldenLabel: 0 }), version: 2 });
    const load = loadLoop(agent.proxy);
    const r = await apply(await bundle('v2', { slots: { main: bad }, sequence: 2 }));
    const traffic = await load.stop();
    expect(r).toMatchObject({ outcome: 'rolled_back', code: 'HEALTH_GATE_FAILED' });
    expect(r.message).toMatch(/"label" is 1, expected 0/);
    expect(traffic.failed).toBe(0);
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true, releases: ['prod-1-churn-1'] });
    expect((await status()).channels).toEqual({ prod: 2 });
  }, 60_000);

  it('rolls back a release that crashes in probation, with no request lost during either switch', async () => {
    await start();
    await apply(await bundle('v1', { slots: { main: await churnSlot(store) }, sequence: 1 }));
    // v2 crashes when told to, so the test decides when: once the agent says it is in probation.
    const crashing = await churnSlot(store, { dir: await churnVariantDir(dir, 'crash', { serveAppend: "server.prependListener('request', (req) => req.url === '/crash' && process.exit(3));" }), version: 2, health: { probationMs: 30_000 } });
    const load = loadLoop(agent.proxy);
    const applying = apply(await bundle('v2', { slots: { main: crashing }, sequence: 2 }));
    await waitFor(async () => (await status()).slots[0]?.state === 'probation', 20_000, 'v2 to enter probation');
    await fetch(`http://127.0.0.1:${agent.proxy}/crash`).catch(() => undefined);
    const r = await applying;
    const afterSwitch = load.counts().ok;
    await waitFor(() => load.counts().ok >= afterSwitch + 50, 20_000, '50 more requests served after the switch back');
    const traffic = await load.stop();
    expect(r).toMatchObject({ outcome: 'rolled_back', code: 'PROBATION_FAILED' });
    expect(traffic.ok).toBeGreaterThan(50);
    expect(r.message).toMatch(/exited|crash/i);
    expect(traffic.statuses).toEqual({ '200': traffic.ok });
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
  }, 60_000);

  it('rolls back a release whose error rate in probation is over its budget, and serves from the good release again', async () => {
    await start();
    await apply(await bundle('v1', { slots: { main: await churnSlot(store) }, sequence: 1 }));
    // v2 passes its health gate (the two golden requests), then fails every other prediction.
    const flaky = await churnSlot(store, {
      dir: await churnVariantDir(dir, 'flaky', { serveAppend: "const answer = server.listeners('request')[0]; let served = 0; server.removeAllListeners('request'); server.on('request', (req, res) => (req.url === '/predict' && ++served > 2 && served % 2 === 0 ? (res.writeHead(500), res.end('{}')) : answer(req, res)));" }),
      version: 2,
      health: { probationMs: 30_000, errorBudget: 0.05 },
    });
    const load = loadLoop(agent.proxy);
    const r = await apply(await bundle('v2', { slots: { main: flaky }, sequence: 2 }));
    const traffic = await load.stop();
    expect(r).toMatchObject({ outcome: 'rolled_back', code: 'PROBATION_FAILED' });
    expect(r.message).toMatch(/requests failed, over the 0.05 error budget/);
    expect(traffic.statuses['500']).toBeGreaterThan(0);
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
  }, 60_000);

  it('keeps the previous release warm and rolls back to it on command without a cold start', async () => {
    await start();
    await apply(await bundle('v1', { slots: { main: await churnSlot(store, { config: { threshold: 0.5 } }) }, sequence: 1 }));
    const v2 = await apply(await bundle('v2', { slots: { main: await churnSlot(store, { version: 2, config: { threshold: 0.99 } }) }, sequence: 2 }));
    expect(v2.outcome).toBe('applied');
    const r = await agent.call({ op: 'rollback', slot: 'main' });
    expect(r).toMatchObject({ from: 'prod-2-churn-2', to: 'prod-1-churn-1', warm: true });
    const served = await fetch(`http://127.0.0.1:${agent.proxy}/healthz`).then((x) => x.json());
    expect(served).toMatchObject({ threshold: 0.5 });
    const metrics = await (await fetch(`http://127.0.0.1:${agent.admin}/metrics`)).text();
    expect(metrics).toMatch(/^airlock_rollbacks_total\{slot="main",reason="MANUAL_ROLLBACK"\} 1$/m);
    expect(metrics).toMatch(/^airlock_bundle_applies_total\{channel="prod"\} 2$/m);
  }, 60_000);

  it('stop-start: stops the old runtime first, and starts it again when the new release fails its health gate', async () => {
    await start();
    const stopStart = (opts: Parameters<typeof churnSlot>[1]) => churnSlot(store, { ...opts, runtime: { strategy: 'stop-start' } });
    expect((await apply(await bundle('v1', { slots: { main: await stopStart({}) }, sequence: 1 }))).outcome).toBe('applied');
    const bad = await stopStart({ dir: await churnVariantDir(dir, 'wrong', { goldenLabel: 0 }), version: 2 });
    const r = await apply(await bundle('v2', { slots: { main: bad }, sequence: 2 }));
    expect(r).toMatchObject({ outcome: 'rolled_back', code: 'HEALTH_GATE_FAILED' });
    expect(await (await fetch(`http://127.0.0.1:${agent.admin}/metrics`)).text()).toMatch(/^airlock_rollbacks_total\{slot="main",reason="HEALTH_GATE_FAILED"\} 1$/m);
    await waitFor(async () => (await predict(agent.proxy, HIGH_RISK)).status === 200, 20_000, 'v1 to serve again');
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
    const good = await apply(await bundle('v3', { slots: { main: await stopStart({ version: 3 }) }, sequence: 3 }));
    expect(good.outcome).toBe('applied');
    expect((await status()).slots[0]).toMatchObject({ release: 'prod-3-churn-3', healthy: true });
  }, 60_000);
});
