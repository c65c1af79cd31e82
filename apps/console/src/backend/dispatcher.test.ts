import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractScenario } from '../../../../test/helpers/contract-scenario.js';
import { report } from '../../../../test/helpers/hosts.js';
import { PASSPHRASE } from '../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../test/helpers/tmp.js';
import { countRows, useWorld, type World } from '../../../../test/helpers/world.js';
import { CALL_NAMES } from '../api/contract.js';
import type { Answer } from '../api/envelope.js';
import { setOverlay } from '../registry/services/environments.js';
import { verifyAuditLog } from '../registry/services/integrity.js';
import { Dispatcher } from './dispatcher.js';
import { MAX_SESSIONS, Sessions } from './sessions.js';

const tempDir = useTempDirs();
const { fork } = useWorld();

function dispatcherFor(w: World, opts: { idleMinutes?: number; now?: () => number } = {}) {
  const log: Record<string, unknown>[] = [];
  const d = new Dispatcher(w.reg, new Sessions(opts.idleMinutes, opts.now), { checkOutputs: true, log: (e) => log.push(e) });
  return { d, log };
}

async function unlocked(d: Dispatcher, user: string): Promise<string> {
  const a = await d.call('session.unlock', { user, passphrase: PASSPHRASE });
  if (!a.ok) throw new Error(a.error.message);
  return (a.result as { session: string }).session;
}

const codeOf = (a: Answer<unknown>) => (a.ok ? 'ok' : a.error.code);

describe('the dispatcher', () => {
  it('answers every call of the contract within its schemas, for the person whose roles allow it', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const steps = await contractScenario(await tempDir());
    expect(new Set(steps.map((s) => s.call))).toEqual(new Set(CALL_NAMES.filter((n) => n !== 'session.unlock')));
    const sessions = new Map<string, string>();
    for (const step of steps) {
      if (!sessions.has(step.as)) sessions.set(step.as, await unlocked(d, step.as));
      const a = await d.call(step.call, step.input, { session: sessions.get(step.as)! });
      expect([step.call, codeOf(a), a.ok ? '' : a.error.message]).toEqual([step.call, step.expect, expect.any(String)]);
    }
  }, 120_000);

  it('refuses input that fails its schema before anything runs, naming the field', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const session = await unlocked(d, 'bob');
    const events = countRows(w, 'audit_events');
    const a = await d.call('models.annotate', { name: 'churn', addTags: ['x'], colour: 'red' }, { session });
    expect(a).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('colour') } });
    expect(countRows(w, 'audit_events')).toBe(events);
    expect(codeOf(await d.call('models.show', { ref: 42 }, { session }))).toBe('INVALID_INPUT');
    expect(codeOf(await d.call('models.teleport', {}, { session }))).toBe('USAGE');
  });

  it("checks the caller's roles before the service runs, and an allowed call succeeds", async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const bob = await unlocked(d, 'bob');
    const alice = await unlocked(d, 'alice');
    const events = countRows(w, 'audit_events');
    expect(await d.call('environments.create', { name: 'qa', tier: 0, policy: {} }, { session: bob })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining('env.create') } });
    expect(countRows(w, 'audit_events')).toBe(events);
    expect(await d.call('environments.create', { name: 'qa', tier: 0, policy: {} }, { session: alice })).toMatchObject({ ok: true, result: { name: 'qa', policy: { approvals: 1 } } });
  });

  it('holds keys in sessions: none, an unknown one, a locked one and an idle one are SESSION_LOCKED; two people at once', async () => {
    const w = await fork();
    let now = 1_000_000;
    const { d } = dispatcherFor(w, { idleMinutes: 15, now: () => now });
    expect(codeOf(await d.call('models.list', {}))).toBe('SESSION_LOCKED');
    expect(codeOf(await d.call('models.list', {}, { session: 'made-up' }))).toBe('SESSION_LOCKED');
    const bob = await unlocked(d, 'bob');
    const carol = await unlocked(d, 'carol');
    expect(await d.call('session.current', {}, { session: carol })).toMatchObject({ ok: true, result: { user: 'carol', roles: ['approver'] } });
    expect(await d.call('session.current', {}, { session: bob })).toMatchObject({ ok: true, result: { user: 'bob' } });
    now += 14 * 60_000;
    expect(codeOf(await d.call('models.list', {}, { session: bob }))).toBe('ok');
    now += 16 * 60_000;
    expect(codeOf(await d.call('models.list', {}, { session: bob }))).toBe('SESSION_LOCKED');
    expect(codeOf(await d.call('models.list', {}, { session: bob }))).toBe('SESSION_LOCKED');
    const again = await unlocked(d, 'bob');
    expect(codeOf(await d.call('session.lock', {}, { session: again }))).toBe('ok');
    expect(codeOf(await d.call('models.list', {}, { session: again }))).toBe('SESSION_LOCKED');
  });

  it('a person revoked while signed in is refused at their next call, and the audit chain takes nothing more from their key', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const olga = await unlocked(d, 'olga');
    expect(codeOf(await d.call('hosts.list', {}, { session: olga }))).toBe('ok');
    const alice = await unlocked(d, 'alice');
    const revoked = await d.call('users.revoke', { name: 'olga', reason: 'left' }, { session: alice });
    expect(revoked).toMatchObject({ ok: true, result: { name: 'olga', disabled: true, rootRoles: ['release'], draft: null } });
    expect(codeOf(await d.call('hosts.list', {}, { session: olga }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await d.call('session.unlock', { user: 'olga', passphrase: PASSPHRASE }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await d.call('users.revoke', { name: 'olga', reason: 'again' }, { session: alice }))).toBe('CONFLICT');
    expect(codeOf(await d.call('users.revoke', { name: 'alice', reason: 'self' }, { session: alice }))).toBe('FORBIDDEN');
    expect(verifyAuditLog(w.reg, w.as.aud, []).problems).toEqual([]);
    // Her key, kept and used behind the registry's back (a service called with it directly):
    setOverlay(w.reg, w.as.olga, 'prod', 'churn', { threshold: 0.5 });
    expect(verifyAuditLog(w.reg, w.as.aud, []).problems).toMatchObject([{ code: 'AUDIT_CHAIN_BROKEN', details: { problem: 'unknown_key' } }]);
  });

  it('a wrong passphrase names the person, and no answer or log line ever holds a passphrase or key', async () => {
    const w = await fork();
    const { d, log } = dispatcherFor(w);
    const wrong = await d.call('session.unlock', { user: 'bob', passphrase: 'not-bobs-passphrase' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'KEY_PASSPHRASE_WRONG', message: expect.stringContaining('bob') } });
    const answers: unknown[] = [wrong];
    const alice = await unlocked(d, 'alice');
    answers.push(await d.call('users.add', { name: 'erin', roles: ['auditor'], passphrase: 'erins-own-passphrase' }, { session: alice }));
    answers.push(await d.call('users.list', {}, { session: alice }));
    answers.push(await d.call('session.current', {}, { session: alice }));
    const text = JSON.stringify([answers, log]);
    const key = Buffer.from(w.as.alice.signer.secretKey.subarray(0, 32));
    for (const secret of [PASSPHRASE, 'not-bobs-passphrase', 'erins-own-passphrase', key.toString('base64'), key.toString('hex'), key.toString('base64url')]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text).not.toContain(secret);
    }
  });

  it('an unexpected failure is INTERNAL with a reference to the log, never the raw error', async () => {
    const w = await fork();
    const { d, log } = dispatcherFor(w);
    const session = await unlocked(d, 'aud');
    w.reg.db.raw.close();
    const a = await d.call('models.list', {}, { session });
    expect(a).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringMatching(/^Something went wrong inside the registry \(reference [0-9a-f]{8}\); its log has the details\.$/) } });
    const ref = (a as { error: { message: string } }).error.message.match(/reference ([0-9a-f]{8})/)![1];
    expect(log).toContainEqual(expect.objectContaining({ level: 'error', ref, error: expect.stringContaining('database connection is not open') }));
  });

  it('a cancelled import registers nothing and leaves no blob behind', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const session = await unlocked(d, 'bob');
    const blobs = async () => {
      const all = [];
      for await (const b of w.reg.store.list()) all.push(b);
      return all.sort();
    };
    const before = { blobs: await blobs(), versions: countRows(w, 'versions'), events: countRows(w, 'audit_events') };
    const { churnVariant } = await import('../../../../test/helpers/registry.js');
    const path = await churnVariant(await tempDir(), 'cancelled');
    // A large file of its own, so the import is cancelled while it streams, with some blobs already stored.
    await writeFile(join(path, 'weights.bin'), Buffer.alloc(64 * 1024 * 1024, 7));
    const abort = new AbortController();
    const phases: number[] = [];
    const a = await d.call('models.import', { path, model: 'churn' }, {
      session,
      signal: abort.signal,
      onProgress: (p) => {
        phases.push(p.done);
        if (p.done > 16 * 1024 * 1024) abort.abort();
      },
    });
    expect(a).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(Math.max(...phases)).toBeLessThan(64 * 1024 * 1024);
    expect({ blobs: await blobs(), versions: countRows(w, 'versions'), events: countRows(w, 'audit_events') }).toEqual(before);
  });

  it('a cancelled export leaves no bundle, and a cancelled report import records nothing', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const olga = await unlocked(d, 'olga');
    const stick = await tempDir();
    const events = countRows(w, 'audit_events');
    const abort = new AbortController();
    let seen = 0;
    const exported = await d.call('bundles.export', { deployment: w.deploymentId, out: stick, delta: 'none' }, { session: olga, signal: abort.signal, onProgress: () => (seen++, abort.abort()) });
    expect([codeOf(exported), seen]).toEqual(['CANCELLED', 1]);
    expect(await readdir(stick)).toEqual([]);
    expect(countRows(w, 'audit_events')).toBe(events);

    const dir = await tempDir();
    const receipt = { bundleId: w.bundleId, outcome: 'refused' as const, code: 'BUNDLE_EXPIRED', message: 'clock', slots: [], timings: {} };
    await writeFile(join(dir, 'a.json'), report(w.host, 'receipt', receipt));
    await writeFile(join(dir, 'b.json'), report(w.host, 'receipt', receipt));
    const stop = new AbortController();
    const cancelled = await d.call('reports.import', { dir }, { session: olga, signal: stop.signal, onProgress: () => stop.abort() });
    expect(codeOf(cancelled)).toBe('CANCELLED');
    expect(countRows(w, 'audit_events')).toBe(events);
    // The same folder, not cancelled, imports both: the cancel is what kept them out.
    expect(await d.call('reports.import', { dir }, { session: olga })).toMatchObject({ ok: true, result: { imported: 2 } });
  });

  it('slows down guessing: after three wrong passphrases in a row each next try waits, doubling; the right one resets it', async () => {
    const w = await fork();
    let now = 1_000_000;
    const { d } = dispatcherFor(w, { now: () => now });
    const attempt = async (passphrase: string) => codeOf(await d.call('session.unlock', { user: 'bob', passphrase }));
    for (let i = 0; i < 3; i++) expect(await attempt('wrong guess')).toBe('KEY_PASSPHRASE_WRONG');
    expect(await attempt('wrong guess')).toBe('KEY_PASSPHRASE_WRONG');
    // The fourth failure asks for 2 s: even the right passphrase waits.
    expect(await d.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining('try again in 2 s') } });
    // Others are not held up.
    expect(codeOf(await d.call('session.unlock', { user: 'carol', passphrase: PASSPHRASE }))).toBe('ok');
    now += 2_000;
    expect(await attempt('wrong guess')).toBe('KEY_PASSPHRASE_WRONG');
    expect(await d.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE })).toMatchObject({ ok: false, error: { message: expect.stringContaining('try again in 4 s') } });
    now += 4_000;
    expect(codeOf(await d.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE }))).toBe('ok');
    expect(await attempt('wrong guess')).toBe('KEY_PASSPHRASE_WRONG');
    expect(await attempt(PASSPHRASE)).toBe('ok');
  });

  it('sweeps idle sessions, wiping their keys, and holds at most MAX_SESSIONS', async () => {
    const w = await fork();
    let now = 1_000_000;
    const sessions = new Sessions(15, () => now);
    const d = new Dispatcher(w.reg, sessions);
    const first = await unlocked(d, 'aud');
    now += 16 * 60_000;
    sessions.sweep();
    expect(sessions.size).toBe(0);
    expect(codeOf(await d.call('models.list', {}, { session: first }))).toBe('SESSION_LOCKED');
    for (let i = 0; i < MAX_SESSIONS; i++) await unlocked(d, 'aud');
    expect(await d.call('session.unlock', { user: 'aud', passphrase: PASSPHRASE })).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining('lock one') } });
  }, 60_000);

  it('a session locked while its job runs: the job signs with the key it began with, which is wiped when it ends; the chain holds', async () => {
    const w = await fork();
    let now = 1_000_000;
    const sessions = new Sessions(15, () => now);
    const d = new Dispatcher(w.reg, sessions);
    const bob = await unlocked(d, 'bob');
    const { churnVariant } = await import('../../../../test/helpers/registry.js');
    const path = await churnVariant(await tempDir(), 'locked-mid-job');
    await writeFile(join(path, 'weights.bin'), Buffer.alloc(32 * 1024 * 1024, 3));
    let locked: Answer<unknown> | undefined;
    const imported = d.call('models.import', { path, model: 'churn' }, {
      session: bob,
      onProgress: () => {
        // The person locks (or the idle sweep runs) while the import streams.
        if (locked === undefined) {
          locked = { ok: true, result: null };
          now += 16 * 60_000;
          sessions.sweep();
          void d.call('session.lock', {}, { session: bob }).then((a) => (locked = a));
        }
      },
    });
    expect(codeOf(await imported)).toBe('ok');
    expect(locked).toBeDefined();
    expect(codeOf(await d.call('models.list', {}, { session: bob }))).toBe('SESSION_LOCKED');
    expect(verifyAuditLog(w.reg, w.as.aud, []).problems).toEqual([]);
  });

  it('a cancelled evaluation stops its suite and records nothing', async () => {
    const w = await fork();
    const { d } = dispatcherFor(w);
    const bob = await unlocked(d, 'bob');
    const { churnVariant } = await import('../../../../test/helpers/registry.js');
    const path = await churnVariant(await tempDir(), 'slow-suite');
    const marker = join(await tempDir(), 'suite-started');
    // A suite that says it started, then takes a minute: the cancel must land while it runs.
    const file = JSON.parse(await readFile(join(path, 'airlock-model.json'), 'utf8')) as { evaluation: { suites: Record<string, unknown> } };
    file.evaluation.suites.slow = { command: process.execPath, args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, ''); setTimeout(() => console.log('{"metrics":{"accuracy":1}}'), 60000)`] };
    await writeFile(join(path, 'airlock-model.json'), JSON.stringify(file));
    expect(codeOf(await d.call('models.import', { path, model: 'churn' }, { session: bob }))).toBe('ok');
    const evaluations = countRows(w, 'evaluations');
    const abort = new AbortController();
    const started = Date.now();
    const run = d.call('evaluations.run', { ref: 'churn@2', suite: 'slow' }, { session: bob, signal: abort.signal });
    await expect.poll(() => readdir(dirname(marker)).then((f) => f.includes('suite-started')), { timeout: 10_000 }).toBe(true);
    abort.abort();
    expect(codeOf(await run)).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(countRows(w, 'evaluations')).toBe(evaluations);
  }, 60_000);
});
