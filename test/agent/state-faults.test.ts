import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  HOST_RESET_PAYLOAD_TYPE,
  HOST_RESET_SCHEMA,
  signEnvelope,
  signerFromSecretKey,
  utf8Encode,
  type Envelope,
  type HostReset,
  type Signer,
} from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { agentCli, churnSlot, predict, startAgent, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useTempDirs } from '../helpers/tmp.js';
import { iso, makeTrust, rotateReleaseKey, type TrustFixture } from '../helpers/trust.js';

/**
 * Issue 9's trust-state faults on a real agent: trust never shrinks silently. Damaged or missing
 * counters, root or journal stop the start naming the file; the audit log's damage is an alert while
 * the host serves; a damaged current release falls back to the newest kept release that verifies.
 */
const tempDir = useTempDirs();
const agents: RunningAgent[] = [];
let dir: string;
let trust: TrustFixture;
let store: ContentStore;
const RECORD = { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 };

beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'registry-store'));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

const stateDir = () => join(dir, 'state');
const configFile = () => join(stateDir(), 'agent.json');

async function start(): Promise<RunningAgent> {
  const a = await startAgent({ stateDir: stateDir(), rootFile: join(dir, 'root.json') });
  agents.push(a);
  return a;
}

async function bundle(version: number, sequence: number, opts: { floor?: number; signers?: Signer[]; roots?: Map<number, Envelope> } = {}): Promise<string> {
  const path = join(dir, `v${version}-s${sequence}.airlock`);
  const slot = await churnSlot(store, { version, health: { probationMs: 200 }, ...(opts.floor ? { floor: opts.floor } : {}) });
  await writeTestBundle(path, store, { slots: { main: slot }, sequence }, opts.signers ?? trust.releaseSigners, opts.roots ?? new Map([[1, trust.rootEnvelope]]));
  return path;
}

/** A host with history: two bundles applied (the second raising the floor to 2) and reports written. */
async function hostWithHistory(): Promise<{ b1: string; b2: string; reportSeq: number }> {
  const a = await start();
  const b1 = await bundle(1, 1);
  const b2 = await bundle(2, 2, { floor: 2 });
  await a.call({ op: 'apply', path: b1 });
  await a.call({ op: 'apply', path: b2 });
  await a.call({ op: 'report' });
  await a.stop();
  return { b1, b2, reportSeq: await newestReportSeq() };
}

async function newestReportSeq(): Promise<number> {
  const names = await readdir(join(stateDir(), 'outbox'));
  return Math.max(...names.map((n) => Number(/-(\d{8})-/.exec(n)![1])));
}

const run = () => agentCli(['--config', configFile(), 'run']);

function reset(change: Partial<HostReset> = {}, signers: Signer[] = trust.releaseSigners) {
  const r: HostReset = {
    schema: HOST_RESET_SCHEMA,
    id: randomBytes(16).toString('hex'),
    hostId: 'host-1',
    channels: { prod: 2 },
    floors: { main: 2 },
    reportSeq: 40,
    reason: 'counters lost with the disk',
    issuedBy: 'alice',
    issuedAt: iso(Date.now() - 60_000),
    expiresAt: iso(Date.now() + 3_600_000),
    ...change,
  };
  return JSON.stringify(signEnvelope(HOST_RESET_PAYLOAD_TYPE, utf8Encode(JSON.stringify(r)), signers));
}

describe('trust counters', () => {
  it.each([
    ['emptied', (p: string) => writeFile(p, '')],
    ['deleted', (p: string) => rm(p)],
    ['cut short', (p: string) => truncate(p, 20)],
  ])('%s counters stop the start naming the file; `recover` rebuilds them from the audit log and replays stay refused', async (_how, damage) => {
    const { b1, b2, reportSeq } = await hostWithHistory();
    const counters = join(stateDir(), 'counters.json');
    await damage(counters);
    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('STATE_DAMAGED');
    expect(refused.stderr).toContain(counters);
    expect(refused.stderr).toContain('airlock-agent recover');
    const recovered = await agentCli(['--state', stateDir(), '--json', 'recover']);
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    expect(JSON.parse(recovered.stdout).result).toMatchObject({ source: 'audit log', counters: { channels: { prod: 2 }, floors: { main: 2 }, reportSeq } });
    const a = await start();
    expect(await a.call({ op: 'apply', path: b1 })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    expect(await a.call({ op: 'apply', path: b2 })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    expect((await a.call({ op: 'status' })).slots[0]!.securityFloor).toBe(2);
    expect(await newestReportSeq(), 'new reports continue after the old ones').toBeGreaterThan(reportSeq);
  }, 60_000);

  it('refuses to recover counters that are intact, or while the agent runs', async () => {
    await hostWithHistory();
    const intact = await agentCli(['--state', stateDir(), 'recover']);
    expect(intact.code).toBe(1);
    expect(intact.stderr).toMatch(/CONFLICT.*intact/);
    const a = await start();
    await rm(join(stateDir(), 'counters.json'));
    const running = await agentCli(['--state', stateDir(), 'recover']);
    expect(running.stderr).toContain(`CONFLICT: Another agent (pid ${a.proc.pid}) is running on`);
    await a.call({ op: 'report' });
    await a.stop();
    await rm(join(stateDir(), 'counters.json'));
    await writeFile(join(stateDir(), 'counters.json'), '{}');
    expect((await run()).stderr).toMatch(/STATE_DAMAGED.*counters\.json is damaged/);
  }, 60_000);

  it('with the audit log damaged too, only a reset the registry signed for this host rebuilds them, and never lower', async () => {
    const { b2, reportSeq } = await hostWithHistory();
    await rm(join(stateDir(), 'counters.json'));
    const audit = join(stateDir(), 'audit.jsonl');
    const lines = (await readFile(audit, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"action":"', '"action":"x');
    await writeFile(audit, lines.join('\n'));
    const noReset = await agentCli(['--state', stateDir(), 'recover']);
    expect(noReset.stderr).toMatch(/STATE_DAMAGED.*audit log is damaged.*airlock host reset host-1/s);
    const file = join(dir, 'reset.json');
    const attempt = async (doc: string) => {
      await writeFile(file, doc);
      return agentCli(['--state', stateDir(), 'recover', '--reset', file]);
    };
    expect((await attempt(reset({ hostId: 'host-2' }))).stderr).toContain('NOT_TARGETED');
    expect((await attempt(reset({}, [signerFromSecretKey(generateKeyPair().secretKey)]))).stderr).toContain('RESET_INVALID');
    expect((await attempt(reset({ expiresAt: iso(Date.now() - 1000) }))).stderr).toMatch(/RESET_INVALID.*expired/);
    const ok = await attempt(reset({ reportSeq: reportSeq + 10 }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/rebuilt the trust counters from the reset/);
    const a = await start();
    expect(await a.call({ op: 'apply', path: b2 })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    expect((await a.call({ op: 'status' })).slots[0]!.securityFloor).toBe(2);
    expect(await newestReportSeq(), 'reports continue after the last one the registry imported').toBeGreaterThan(reportSeq + 10);
  }, 60_000);
});

describe('counters lower than the log', () => {
  it.each([
    ['edited', async () => undefined],
    ['edited, and the audit log deleted', async () => rm(join(stateDir(), 'audit.jsonl'))],
    ['edited, and an empty later segment planted', async () => writeFile(join(stateDir(), 'audit.2.jsonl'), '')],
  ])('a counters file %s is raised to what the host recorded at start: replays stay refused', async (_how, alsoDo) => {
    const { b1, b2 } = await hostWithHistory();
    const path = join(stateDir(), 'counters.json');
    const c = JSON.parse(await readFile(path, 'utf8')) as { channels: Record<string, number>; floors: Record<string, number> };
    await writeFile(path, JSON.stringify({ ...c, channels: { prod: 0 }, floors: {}, auditSeq: 0 }));
    await alsoDo();
    const a = await start();
    expect(a.logs.join('')).toMatch(/were raised/);
    expect((await a.call({ op: 'status' })).alerts).toContainEqual(expect.objectContaining({ code: 'STATE_DAMAGED', message: expect.stringMatching(/were behind .* and were raised/) }));
    expect(await a.call({ op: 'apply', path: b1 })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    expect(await a.call({ op: 'apply', path: b2 })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_REPLAYED' });
    expect((await a.call({ op: 'status' })).slots[0]!.securityFloor).toBe(2);
  }, 60_000);

  it('a host reset is spent once, even after the audit log was damaged', async () => {
    await hostWithHistory();
    await rm(join(stateDir(), 'counters.json'));
    const audit = join(stateDir(), 'audit.jsonl');
    const lines = (await readFile(audit, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"action":"', '"action":"x');
    await writeFile(audit, lines.join('\n'));
    const file = join(dir, 'reset.json');
    await writeFile(file, reset());
    expect((await agentCli(['--state', stateDir(), 'recover', '--reset', file])).code).toBe(0);
    await rm(join(stateDir(), 'counters.json'));
    const again = await agentCli(['--state', stateDir(), 'recover', '--reset', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/RESET_INVALID.*already used/);
  }, 60_000);
});

describe('trusted root', () => {
  it('a missing newest root stops the start naming it; no older root takes its place', async () => {
    const a = await start();
    const { roots, releaseSigner } = rotateReleaseKey(trust);
    expect(await a.call({ op: 'apply', path: await bundle(1, 1, { signers: [releaseSigner], roots }) })).toMatchObject({ outcome: 'applied' });
    expect((await a.call({ op: 'status' })).rootVersion).toBe(2);
    await a.stop();
    // A counters file edited back to root 1 does not bring the retired release key back.
    const counters = join(stateDir(), 'counters.json');
    await writeFile(counters, JSON.stringify({ ...JSON.parse(await readFile(counters, 'utf8')), rootVersion: 1 }));
    const edited = await start();
    expect((await edited.call({ op: 'status' })).rootVersion).toBe(2);
    expect(await edited.call({ op: 'apply', path: await bundle(2, 2) })).toMatchObject({ outcome: 'refused', code: 'SIGNATURE_KEY_UNKNOWN' });
    await edited.stop();
    const newest = join(stateDir(), 'roots', '2.root.json');
    await rm(newest);
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('STATE_DAMAGED');
    expect(r.stderr).toContain(newest);
  }, 60_000);
});

describe('audit log', () => {
  it('a damaged line: the host keeps serving, reports AUDIT_DAMAGED, and continues in a new segment naming the last good head', async () => {
    await hostWithHistory();
    const audit = join(stateDir(), 'audit.jsonl');
    const lines = (await readFile(audit, 'utf8')).trim().split('\n');
    const highest = Math.max(...lines.map((l) => JSON.parse(l).seq as number));
    const good = JSON.parse(lines[2]!) as { seq: number; hash: string };
    lines[3] = lines[3]!.replace('"at":"2', '"at":"1');
    const damaged = `${lines.join('\n')}\n`;
    await writeFile(audit, damaged);
    const a = await start();
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
    const status = await a.call({ op: 'status' });
    expect(status.alerts).toEqual([expect.objectContaining({ code: 'AUDIT_DAMAGED' })]);
    expect(status.alerts[0]!.message).toContain('line 4');
    const ready = await fetch(`http://127.0.0.1:${a.admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, alerts: [{ code: 'AUDIT_DAMAGED' }] });
    expect(await readFile(audit, 'utf8'), 'the damaged segment is never appended to').toBe(damaged);
    const segment = (await readFile(join(stateDir(), 'audit.2.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; action: string; prev: string; detail: { damage: { lastGood: unknown; line: number } } });
    expect(segment[0]).toMatchObject({ action: 'audit.segment', seq: highest + 1, prev: good.hash, detail: { damage: { line: 4, lastGood: { seq: good.seq, hash: good.hash } } } });
    expect(segment.map((e) => e.seq)).toEqual(segment.map((_, i) => highest + 1 + i));
  }, 60_000);

  it('a deleted log is damage too, not a fresh chain', async () => {
    await hostWithHistory();
    await rm(join(stateDir(), 'audit.jsonl'));
    const a = await start();
    const status = await a.call({ op: 'status' });
    expect(status.alerts).toEqual([expect.objectContaining({ code: 'AUDIT_DAMAGED' })]);
    expect(status.alerts[0]!.message).toMatch(/events were deleted/);
    const first = JSON.parse((await readFile(join(stateDir(), 'audit.2.jsonl'), 'utf8')).split('\n')[0]!) as { seq: number; action: string };
    expect(first.action).toBe('audit.segment');
    expect(first.seq).toBeGreaterThan(1);
  }, 60_000);
});

describe('other state files', () => {
  it('a damaged journal stops the start with STATE_DAMAGED naming it; a damaged seen-files cache is rebuilt', async () => {
    await hostWithHistory();
    const seen = join(stateDir(), 'seen.json');
    await writeFile(seen, '{"files": [');
    const journal = join(stateDir(), 'slots/main/journal.json');
    await writeFile(journal, '{');
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/STATE_DAMAGED: The install journal of slot main file .*journal\.json is damaged/);
    expect(r.stderr).not.toContain('Unexpected end of JSON input\n');
    await rm(journal);
    const a = await start();
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
  }, 60_000);

  it('a damaged current release: the slot serves the newest kept release that verifies and says so', async () => {
    await hostWithHistory();
    // Releases share their files' inodes with the store and with each other: damage this release's copy alone.
    const file = join(stateDir(), 'slots/main/current/model.json');
    await rm(file);
    await writeFile(file, '{"type":"logistic_regression"');
    const a = await start();
    expect((await predict(a.proxy, RECORD)).status).toBe(200);
    const status = await a.call({ op: 'status' });
    expect(status.slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
    expect(status.alerts).toEqual([expect.objectContaining({ code: 'STATE_DAMAGED', slot: 'main', message: expect.stringMatching(/serving prod-1-churn-1 because the current release prod-2-churn-2 cannot serve.*model\.json/) })]);
    await a.call({ op: 'report' });
    expect(await readFile(join(stateDir(), 'audit.jsonl'), 'utf8')).toMatch(/"action":"slot.fallback"/);
  }, 60_000);
});
