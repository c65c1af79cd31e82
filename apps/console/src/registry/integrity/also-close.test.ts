import { chmod, cp, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Receipt } from '@airlock/shared/common';
import { enrollment, hostKey, report } from '../../../../../test/helpers/hosts.js';
import { CHURN } from '../../../../../test/helpers/registry.js';
import { codeOfAsync } from '../../../../../test/helpers/codes.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { countRows, useWorld, type World } from '../../../../../test/helpers/world.js';
import { sql } from '../db/sql.js';
import { components } from '../repos/components.js';
import { createDeployment, exportBundle } from '../services/deployments.js';
import { createEnvironment, setOverlay } from '../services/environments.js';
import { recordEvaluation, runEvaluation } from '../services/evaluations.js';
import { assignHost, enrollHost } from '../services/hosts.js';
import { importModel } from '../services/import.js';
import { transitionVersion } from '../services/lifecycle.js';
import { verifyRegistry } from '../services/integrity.js';
import { diffVersions, showModel } from '../services/models.js';
import { requestPromotion } from '../services/promotions.js';
import { importReports } from '../services/reports.js';
import { collectGarbage } from '../services/store-gc.js';

/** The smaller holes closed with the integrity work, each against a copy of a world built by the services. */
const tempDir = useTempDirs();
const { fork } = useWorld();

const sequence = (w: World) => w.reg.db.get<{ sequence: number }>(sql`SELECT sequence FROM channels WHERE name = 'prod'`)!.sequence;

describe('deploy create sends nothing a host would refuse for being the wrong host', () => {
  it('refuses a host of another environment, and a host that does not run the slot; nothing is created', async () => {
    const w = await fork();
    createEnvironment(w.reg, w.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0 } });
    const stray = hostKey('host-s');
    enrollHost(w.reg, w.as.olga, enrollment(stray));
    assignHost(w.reg, w.as.olga, 'host-s', 'staging');
    const other = hostKey('host-o');
    enrollHost(w.reg, w.as.olga, enrollment(other, other.signer, ['fraud']));
    assignHost(w.reg, w.as.olga, 'host-o', 'prod');
    const before = [countRows(w, 'deployments'), sequence(w)];

    await expect(Promise.resolve().then(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', hosts: ['host-s'] }))).rejects.toMatchObject({ code: 'NOT_TARGETED', message: expect.stringContaining('host-s is in environment staging, not prod') });
    await expect(Promise.resolve().then(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', hosts: ['host-o'] }))).rejects.toMatchObject({ code: 'NOT_TARGETED', message: expect.stringContaining('runs slot(s) fraud, not "churn"') });
    // By environment, host-o (in prod, without the slot) is refused too rather than silently dropped.
    expect(await codeOfAsync(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).toBe('NOT_TARGETED');
    expect([countRows(w, 'deployments'), sequence(w)]).toEqual(before);

    expect(createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', hosts: ['host-a'] })).toMatchObject({ hosts: ['host-a'], sequence: before[1]! + 1 });
  });
});

describe('deploy create ships only what was approved, as it was approved', () => {
  it.each(['quarantined', 'revoked'] as const)('refuses a %s version that is still recorded as active', async (state) => {
    const w = await fork();
    await transitionVersion(w.reg, state === 'revoked' ? w.as.alice : w.as.carol, 'churn@1', state, 'incident');
    const before = countRows(w, 'deployments');
    await expect(Promise.resolve().then(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).rejects.toMatchObject({ code: 'GATE_FAILED', message: expect.stringContaining(`churn@1 is ${state}`) });
    expect(countRows(w, 'deployments')).toBe(before);
  });

  it('refuses a config changed since approval, naming both; the approved config deploys', async () => {
    const w = await fork();
    setOverlay(w.reg, w.as.olga, 'prod', 'churn', { threshold: 0.99 });
    await expect(Promise.resolve().then(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).rejects.toMatchObject({ code: 'EVIDENCE_CHANGED', message: expect.stringMatching(/approved \{"threshold":0.6\}, now \{"threshold":0.99\}/) });
    setOverlay(w.reg, w.as.olga, 'prod', 'churn', { threshold: 0.6 });
    expect(createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' })).toMatchObject({ approvals: 1 });
  });

  it('verify names a deployment whose slot runs something other than its version manifest', async () => {
    const w = await fork();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(w.reg.home.db);
    db.exec(`DROP TRIGGER deployments_no_update; UPDATE deployments SET manifest = json_set(manifest, '$.slots.churn.runtime.command', 'sh')`);
    db.close();
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toContainEqual(expect.objectContaining({ subject: `deployments:${w.deploymentId}`, message: expect.stringContaining('is not a consistent bundle manifest') }));
  });
});

describe('bundle export re-hashes what it ships', () => {
  it('a damaged store file stops the export with BLOB_DIGEST_MISMATCH and leaves no file', async () => {
    const w = await fork();
    const victim = components.of(w.reg.db, w.versionId).find((c) => c.path === 'model.json')!;
    const path = w.reg.store.pathOf(victim.digest);
    await chmod(path, 0o644);
    const bytes = Buffer.from(await (await import('node:fs/promises')).readFile(path));
    bytes[bytes.length >> 1]! ^= 0x20;
    await writeFile(path, bytes);
    const out = await tempDir();
    await expect(exportBundle(w.reg, w.as.olga, w.deploymentId, out, { delta: 'none' })).rejects.toMatchObject({ code: 'BLOB_DIGEST_MISMATCH', message: expect.stringContaining(victim.digest) });
    expect(await readdir(out)).toEqual([]);
  });
});

describe('evaluations say where they came from', () => {
  it('recorded results are "reported" and name who recorded them; a policy can require executed ones', async () => {
    const w = await fork();
    const { importModel: imp } = await import('../services/import.js');
    const variant = join(await tempDir(), 'v2');
    await cp(CHURN, variant, { recursive: true });
    await writeFile(join(variant, 'NOTES.md'), 'v2');
    await imp(w.reg, w.as.bob, { path: variant, model: 'churn' });
    const { transitionVersion } = await import('../services/lifecycle.js');
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    createEnvironment(w.reg, w.as.alice, { name: 'audited', tier: 2, policy: { approvals: 0, requiredSuites: [{ suite: 'holdout', executed: true }] } });

    const reported = recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.99 } });
    expect(reported).toMatchObject({ source: 'reported', recordedBy: 'bob' });
    const refused = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'audited');
    expect(refused.promotion.state).toBe('gates_failed');
    expect(refused.refused?.message).toMatch(/no executed holdout results/);

    expect(await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout')).toMatchObject({ source: 'executed', recordedBy: 'bob' });
    expect((await requestPromotion(w.reg, w.as.bob, 'churn@2', 'audited')).promotion.state).toBe('active');
    const shown = showModel(w.reg, w.as.aud, 'churn@2');
    expect(shown.kind === 'version' && shown.version.evaluations.map((e) => e.source)).toEqual(['reported', 'executed']);
  });
});

describe('file names a version may hold', () => {
  const importDir = async (w: World, files: Record<string, string>) => {
    const dir = await tempDir();
    await cp(CHURN, dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      await (await import('node:fs/promises')).mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return importModel(w.reg, w.as.bob, { path: dir, model: 'named' });
  };

  it.each([
    ['a space', 'a b.txt'],
    ['a newline', 'line\nbreak.txt'],
    ['a path over 1,024 characters', `${'d'.repeat(250)}/${'e'.repeat(250)}/${'f'.repeat(250)}/${'g'.repeat(250)}/${'h'.repeat(250)}/x.txt`],
    ['a non-ASCII letter', 'modèle.txt'],
  ])('refuses %s with INVALID_INPUT naming the file, and imports nothing', async (_what, name) => {
    const w = await fork();
    const before = [countRows(w, 'versions'), countRows(w, 'audit_events')];
    const blobs = (await readdir(join(w.reg.home.dir, 'blobs', 'sha256'), { recursive: true })).length;
    await expect(importDir(w, { [name]: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(JSON.stringify(name.slice(0, 200)).slice(0, 40)) });
    expect([countRows(w, 'versions'), countRows(w, 'audit_events')]).toEqual(before);
    expect((await readdir(join(w.reg.home.dir, 'blobs', 'sha256'), { recursive: true })).length).toBe(blobs);
  });

  it('accepts every character the rule allows, and the version survives show, diff and verify', async () => {
    const w = await fork();
    const { version } = await importDir(w, { 'weights/part_1.of-2+final=v@2.bin': 'ok', 'A.Z/a_z-0.9': 'ok' });
    const shown = showModel(w.reg, w.as.aud, `named@${version.number}`);
    expect(shown.kind === 'version' && shown.version.manifest.components.map((c) => c.path)).toContain('weights/part_1.of-2+final=v@2.bin');
    expect(diffVersions(w.reg, w.as.aud, 'churn@1', `named@${version.number}`).components.added).toEqual(['A.Z/a_z-0.9', 'weights/part_1.of-2+final=v@2.bin']);
    expect((await verifyRegistry(w.reg, w.as.aud)).ok).toBe(true);
  });

  it('refuses an airlock-model.json that is a symbolic link without echoing what it points to', async () => {
    const w = await fork();
    const dir = await tempDir();
    await cp(CHURN, dir, { recursive: true });
    const secret = join(await tempDir(), 'secret.txt');
    await writeFile(secret, 'root:x:0:0:topsecret');
    await (await import('node:fs/promises')).rm(join(dir, 'airlock-model.json'));
    await symlink(secret, join(dir, 'airlock-model.json'));
    const err = await importModel(w.reg, w.as.bob, { path: dir, model: 'linked' }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('is a symbolic link') });
    expect(JSON.stringify(err)).not.toContain('topsecret');
  });

  it('a model file that is not JSON is named without its content being echoed', async () => {
    const w = await fork();
    const dir = await tempDir();
    await cp(CHURN, dir, { recursive: true });
    await writeFile(join(dir, 'airlock-model.json'), 'root:x:0:0:topsecret');
    const err = await importModel(w.reg, w.as.bob, { path: dir, model: 'garbled' }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('is not valid JSON') });
    expect(JSON.stringify(err)).not.toContain('topsecret');
  });

  it.each([
    ['licence', { licence: 'L'.repeat(1025) }],
    ['lineage source', { lineage: { source: 's'.repeat(2049) } }],
    ['evaluation command', { evaluation: { suites: { x: { command: 'c'.repeat(1025) } } } }],
    ['runtime argument', { runtime: { command: 'node', args: ['a'.repeat(4097)], port: 8080 } }],
  ])('caps free text: a %s that is too long is INVALID_INPUT', async (_what, patch) => {
    const w = await fork();
    const dir = await tempDir();
    await cp(CHURN, dir, { recursive: true });
    const spec = JSON.parse(await (await import('node:fs/promises')).readFile(join(dir, 'airlock-model.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'airlock-model.json'), JSON.stringify({ ...spec, ...patch }));
    expect(await codeOfAsync(() => importModel(w.reg, w.as.bob, { path: dir, model: 'long' }))).toBe('INVALID_INPUT');
  });
});

describe('reports are checked again against their host signature', () => {
  it('a report that leaves fields to their defaults still verifies after import', async () => {
    const w = await fork();
    const stick = await tempDir();
    await writeFile(join(stick, 'r.json'), report(w.host, 'receipt', { bundleId: w.bundleId, outcome: 'applied' } as Receipt));
    expect(await importReports(w.reg, w.as.olga, stick)).toMatchObject({ imported: 1, rejected: [] });
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toEqual([]);
  });
});

describe('what hosts report opens review items', () => {
  it('a slot a host reports not serving opens a host_unhealthy review item naming host and slot', async () => {
    const w = await fork();
    const stick = await tempDir();
    const { statusBody } = await import('../../../../../test/helpers/hosts.js');
    const digest = w.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${w.versionId}`)!.digest;
    await writeFile(join(stick, '3.json'), report(w.host, 'status', statusBody({ slot: 'churn', model: 'churn', version: 1, digest, healthy: false }, [])));
    const summary = await importReports(w.reg, w.as.olga, stick);
    expect(summary.reviews).toHaveLength(1);
    expect(w.reg.db.get(sql`SELECT kind, subject, detail FROM reviews WHERE id = ${summary.reviews[0]!}`)).toEqual({ kind: 'host_unhealthy', subject: 'host:host-a', detail: expect.stringContaining('host-a slot churn is not serving') });
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toEqual([]);
  });
});

describe('the fleet as the reports tell it', () => {
  it('shows p95 and error rate per slot, and flags a host serving another version than its environment has active', async () => {
    const w = await fork();
    const { statusBody } = await import('../../../../../test/helpers/hosts.js');
    const { fleet } = await import('../services/fleet.js');
    const { listDeployments } = await import('../services/deployments.js');
    const digest = w.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${w.versionId}`)!.digest;
    const body = statusBody({ slot: 'churn', model: 'churn', version: 1, digest, healthy: true }, []);
    body.slots[0]!.requests = { '2xx': 90, '5xx': 6, error: 4 };
    body.slots[0]!.latencyMs = { p50: 3, p95: 12.5, p99: 40 };
    const stick = await tempDir();
    await writeFile(join(stick, '3.json'), report(w.host, 'status', body));
    await importReports(w.reg, w.as.olga, stick);
    expect(fleet(w.reg, w.as.aud, { staleAfterMinutes: 60 })[0]!.slots).toEqual([{ slot: 'churn', version: 'churn@1', healthy: true, expected: null, p95Ms: 12.5, errorRate: 0.1 }]);

    // churn@2 becomes active in prod while the host still serves churn@1.
    const variant = join(await tempDir(), 'v2');
    await cp(CHURN, variant, { recursive: true });
    await writeFile(join(variant, 'NOTES.md'), 'v2');
    await importModel(w.reg, w.as.bob, { path: variant, model: 'churn' });
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout');
    const { decidePromotion } = await import('../services/promotions.js');
    await decidePromotion(w.reg, w.as.carol, (await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod')).promotion.id, 'approve');
    expect(fleet(w.reg, w.as.aud, { staleAfterMinutes: 60 })[0]!.slots[0]).toMatchObject({ version: 'churn@1', expected: 'churn@2' });
    createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
    expect(listDeployments(w.reg, w.as.aud)[0]!.hosts).toEqual([{ hostId: 'host-a', state: 'pending', code: null, serving: 'churn@1' }]);
  });
});

describe('reports from hosts the registry does not know', () => {
  it('are rejected, and a head they claim beyond the log is warned about without being believed', async () => {
    const w = await fork();
    const stranger = hostKey('host-z');
    const stick = await tempDir();
    const { statusBody } = await import('../../../../../test/helpers/hosts.js');
    await writeFile(join(stick, 'z.json'), report(stranger, 'status', { ...statusBody({ slot: 'churn', model: 'churn', version: 1, digest: `sha256:${'0'.repeat(64)}`, healthy: true }, []), auditHead: { seq: 9999, hash: 'a'.repeat(64) } }));
    const summary = await importReports(w.reg, w.as.olga, stick);
    expect(summary.rejected).toEqual([expect.objectContaining({ code: 'HOST_UNKNOWN' })]);
    expect(summary.audit).toEqual([expect.objectContaining({ code: 'HOST_UNKNOWN', message: expect.stringContaining('claims to have seen audit event 9999') })]);
    expect(summary.reviews).toEqual([]);
  });
});

describe('blobs nothing references', () => {
  it('verify lists a blob left by an interrupted import; gc (admin only, audited) removes it, keeping young ones by default', async () => {
    const w = await fork();
    const orphan = await w.reg.store.put(Readable.from([Buffer.from('left behind by an import killed before its row')]));
    const report = await verifyRegistry(w.reg, w.as.aud);
    expect(report).toMatchObject({ ok: true, unreferenced: [orphan.digest] });

    expect(await codeOfAsync(() => collectGarbage(w.reg, w.as.olga, { minAgeMs: 0 }))).toBe('FORBIDDEN');
    expect(await collectGarbage(w.reg, w.as.alice, { minAgeMs: 3_600_000 })).toMatchObject({ removed: 0, keptYoung: 1 });
    expect(await w.reg.store.has(orphan.digest)).toBe(true);

    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(w.reg.store.pathOf(orphan.digest), old, old);
    expect(await collectGarbage(w.reg, w.as.alice, { minAgeMs: 3_600_000 })).toMatchObject({ removed: 1, digests: [orphan.digest] });
    expect(await w.reg.store.has(orphan.digest)).toBe(false);
    const after = await verifyRegistry(w.reg, w.as.aud);
    expect(after).toMatchObject({ ok: true, unreferenced: [] });
    expect(w.reg.db.get<{ details: string }>(sql`SELECT details FROM audit_events WHERE action = 'store.gc' ORDER BY seq DESC LIMIT 1`)!.details).toContain(orphan.digest);
  });
});
