import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APPROVAL_PAYLOAD_TYPE, canonicalJson, configDigest, sha256Hex, signEnvelope, utf8Encode, type BundleManifest } from '@airlock/shared/common';
import { codeOfAsync, codeOf } from '../../../../../test/helpers/codes.js';
import { churnVariant } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { countRows, useWorld, type World } from '../../../../../test/helpers/world.js';
import { mutate } from '../audit.js';
import type { SigningActor } from '../auth.js';
import { sql } from '../db/sql.js';
import { createDeployment, exportBundle } from '../services/deployments.js';
import { createEnvironment, setOverlay, setPolicy } from '../services/environments.js';
import type { Evidence } from '../services/evidence.js';
import { recordEvaluation } from '../services/evaluations.js';
import { importModel } from '../services/import.js';
import { verifyRegistry } from '../services/integrity.js';
import { transitionVersion } from '../services/lifecycle.js';
import { decidePromotion, requestPromotion, rollback } from '../services/promotions.js';
import { resolveReview } from '../services/reviews.js';

/**
 * Third review: an attacker holding the database and one user's key writes rows with SQL inside an
 * event that key signs, so every row is sealed and every column names the signer. What must still
 * find it is the decision replay: each evidence re-derived from the registry as it stood, rollbacks,
 * activations, reviews and deployments held to what the commands do; and `bundle export`, which signs
 * nothing over a registry whose records do not verify.
 */
const tempDir = useTempDirs();
const { fork } = useWorld();

/** SQL run inside a genuine event signed by `actor`'s key, as the stolen key would sign it. */
function forge(w: World, actor: SigningActor, action: string, statements: (db: Database.Database) => void): void {
  mutate(w.reg, actor, null, () => {
    statements(w.reg.db.raw);
    return { result: undefined, audit: { action, subject: 'forged', details: {} } };
  });
}

/** Another program with the database open drops a trigger. */
function dropTrigger(w: World, name: string): void {
  const db = new Database(w.reg.home.db);
  db.exec(`DROP TRIGGER ${name}`);
  db.close();
}

const problemsOf = async (w: World) => (await verifyRegistry(w.reg, w.as.aud)).problems.map((p) => p.message).join('\n');
const filesIn = async (dir: string) => (await readdir(dir)).length;

/** churn@2 imported, validated and evaluated; not yet requested anywhere. */
async function churn2(w: World): Promise<number> {
  const { version } = await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
  await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
  recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.95 } });
  return version.id;
}

/** churn@2 made active in prod the honest way, over churn@1. */
async function churn2Active(w: World): Promise<number> {
  const id = await churn2(w);
  const { promotion } = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
  expect((await decidePromotion(w.reg, w.as.carol, promotion.id, 'approve')).promotion.state).toBe('active');
  return id;
}

/** A forged evidence for churn@2 in `env`, from promotion #1's, with the given changes. */
function forgedEvidence(w: World, change: (e: Evidence) => void): { text: string; digest: string; resolved: Record<string, unknown> } {
  const ev = JSON.parse(w.reg.db.get<{ evidence: string }>(sql`SELECT evidence FROM promotions WHERE id = ${w.promotionId}`)!.evidence) as Evidence;
  const v2 = w.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE number = 2`)!;
  ev.version = { ...ev.version, number: 2, digest: v2.digest };
  ev.active = { number: 1, digest: ev.active?.digest ?? ev.version.digest };
  change(ev);
  const text = canonicalJson(ev);
  return { text, digest: `sha256:${sha256Hex(utf8Encode(text))}`, resolved: ev.config.resolved };
}

describe('an honest registry replays clean, whatever path its decisions took', () => {
  it('a staging tier, a previous-tier gate, an overlay changed while awaiting approval, a rollback reviewed by someone else', async () => {
    const w = await fork();
    await churn2(w);
    createEnvironment(w.reg, w.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0, requiredSuites: [{ suite: 'holdout' }] } });
    setPolicy(w.reg, w.as.alice, 'prod', { approvals: 1, requirePreviousTier: true, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', maxDrop: 0.1 }] }] });
    expect((await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod')).promotion.state).toBe('gates_failed');
    expect((await requestPromotion(w.reg, w.as.bob, 'churn@2', 'staging')).promotion.state).toBe('active');
    const first = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
    setOverlay(w.reg, w.as.olga, 'prod', 'churn', { threshold: 0.7 });
    expect((await decidePromotion(w.reg, w.as.carol, first.promotion.id, 'approve')).refused?.code).toBe('EVIDENCE_CHANGED');
    const second = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
    expect((await decidePromotion(w.reg, w.as.carol, second.promotion.id, 'approve')).promotion.state).toBe('active');
    const d = createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
    const { reviewId } = rollback(w.reg, w.as.olga, 'churn', 'prod', 'drill');
    expect(resolveReview(w.reg, w.as.carol, reviewId, 'looked at it').resolvedBy).toBe('carol');
    expect(await problemsOf(w)).toBe('');
    const out = await tempDir();
    expect((await exportBundle(w.reg, w.as.olga, d.id, out, { delta: 'none' })).path).toMatch(/prod-000002-churn-2\.airlock$/);
  });
});

describe('third review: what one stolen key and the database could still sign', () => {
  it('an approver forges an active promotion whose evidence names a lower quorum: verify names it and export signs nothing', async () => {
    const w = await fork();
    await churn2(w);
    setPolicy(w.reg, w.as.alice, 'prod', { approvals: 2, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }] });
    const e = forgedEvidence(w, (ev) => {
      ev.policy.approvals = 1;
    });
    forge(w, w.as.carol, 'promote.approve', (db) => {
      const v2 = db.prepare('SELECT * FROM versions WHERE number = 2').get() as { id: number; digest: string };
      db.prepare(`INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (20, ?, 1, 'active', ?, ?, 0, ?, 't', 't')`).run(v2.id, e.text, e.digest, w.as.bob.user.id);
      const payload = { schema: 'airlock.approval/v1', promotion: 20, environment: 'prod', model: 'churn', version: 2, versionDigest: v2.digest, configDigest: configDigest(e.resolved), evidenceDigest: e.digest, quorum: 1, decision: 'approve', approver: 'carol', at: w.reg.now() };
      const envelope = signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(payload)), [w.as.carol.signer]);
      db.prepare(`INSERT INTO approvals (promotion_id, user_id, decision, evidence_digest, envelope, at) VALUES (20, ?, 'approve', ?, ?, 't')`).run(w.as.carol.user.id, e.digest, JSON.stringify(envelope));
      db.prepare(`UPDATE activations SET ended_at = 't', ended_by = 20 WHERE ended_at IS NULL`).run();
      db.prepare(`UPDATE promotions SET state = 'superseded' WHERE id = ?`).run(w.promotionId);
      db.prepare(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, ?, 20, 't')`).run(v2.id);
    });
    expect(await problemsOf(w)).toMatch(/Promotion #20 holds evidence that is not what the registry held when it was requested: its evidence holds a policy that was not environment prod's then/);
    const d = createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
    const out = await tempDir();
    expect(await codeOfAsync(() => exportBundle(w.reg, w.as.olga, d.id, out, { delta: 'none' }))).toBe('INTEGRITY_FAILED');
    expect(await filesIn(out)).toBe(0);
  });

  it('an ml-engineer forges an active promotion with every gate marked passed in a no-approval environment: the re-derived gates differ', async () => {
    const w = await fork();
    const v2 = await churn2(w);
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'deprecated', 'not ready');
    createEnvironment(w.reg, w.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0, requiredSuites: [{ suite: 'holdout' }] } });
    const e = forgedEvidence(w, (ev) => {
      ev.environment = { name: 'staging', tier: 0 };
      ev.policy = { approvals: 0, requestTtlHours: 168, requirePreviousTier: false, requiredSuites: [{ executed: false, suite: 'holdout', thresholds: [] }] };
      ev.active = null;
      ev.config = { overlay: {}, resolved: ev.config.resolved };
      ev.gates = ev.gates.map((g) => ({ ...g, passed: true }));
    });
    forge(w, w.as.bob, 'promote.request', (db) => {
      db.prepare(`INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (21, ?, 2, 'active', ?, ?, 0, ?, 't', 't')`).run(v2, e.text, e.digest, w.as.bob.user.id);
      db.prepare(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (2, 1, ?, 21, 't')`).run(v2);
    });
    expect(await problemsOf(w)).toMatch(/Promotion #21 holds evidence that is not what the registry held when it was requested: .*gate lifecycle passed but fails/);
  });

  it('an activation inserted with SQL does not pass a previous-tier gate: the request is refused and nothing is recorded', async () => {
    const w = await fork();
    const v2 = await churn2(w);
    createEnvironment(w.reg, w.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0 } });
    setPolicy(w.reg, w.as.alice, 'prod', { approvals: 1, requirePreviousTier: true, requiredSuites: [{ suite: 'holdout' }] });
    const db = new Database(w.reg.home.db);
    db.prepare(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at, ended_at, ended_by) VALUES (2, 1, ?, ?, 't', 't', ?)`).run(v2, w.promotionId, w.promotionId);
    db.close();
    const before = countRows(w, 'promotions');
    expect(await codeOfAsync(() => requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod'))).toBe('INTEGRITY_FAILED');
    expect(countRows(w, 'promotions')).toBe(before);
  });

  it('an operator forges a deployment with its own sequence, expiry, floor, secrets and hosts, and a channel set back: verify names each and export signs nothing', async () => {
    const w = await fork();
    dropTrigger(w, 'channels_sequence_rises');
    forge(w, w.as.olga, 'deploy.create', (db) => {
      const m = JSON.parse((db.prepare('SELECT manifest FROM deployments WHERE id = ?').get(w.deploymentId) as { manifest: string }).manifest) as BundleManifest;
      m.bundleId = '11111111-2222-3333-4444-555555555555';
      m.expiresAt = '2126-01-01T00:00:00Z';
      m.sequence = 999_999_999;
      m.slots.churn!.securityFloor = 7;
      m.slots.churn!.secrets = ['STOLEN_DB_PASSWORD'];
      m.targets = { environment: 'prod', hosts: ['host-zz'] };
      db.prepare(`INSERT INTO deployments (id, env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (30, 1, 1, 'churn', 'prod', 2, ?, ?, 't', ?)`).run(m.bundleId, canonicalJson(m), w.as.olga.user.id);
      db.prepare(`UPDATE channels SET sequence = 0 WHERE name = 'prod'`).run();
    });
    const found = await problemsOf(w);
    expect(found).toMatch(/sets channel prod to sequence 0, not its next \(2\)/);
    expect(found).toMatch(/Deployment #30 names secrets that were not its environment's then/);
    expect(found).toMatch(/Deployment #30 sets a security floor \(7\) above the version it ships/);
    expect(found).toMatch(/Deployment #30 does not take its channel's next sequence/);
    expect(found).toMatch(/Deployment #30 targets hosts that were not hosts of its environment when it was made \(host-zz\)/);
    expect(found).toMatch(/Deployment #30 has a manifest other than the one its row, its version and its environment give/);
    const out = await tempDir();
    expect(await codeOfAsync(() => exportBundle(w.reg, w.as.olga, 30, out, { delta: 'none' }))).toBe('INTEGRITY_FAILED');
    expect(await codeOfAsync(() => exportBundle(w.reg, w.as.olga, w.deploymentId, out, { delta: 'none' }))).toBe('INTEGRITY_FAILED');
    expect(await filesIn(out)).toBe(0);
  });

  it('an operator forges a break-glass rollback to a quarantined version that opens no review', async () => {
    const w = await fork();
    await churn2Active(w);
    await transitionVersion(w.reg, w.as.carol, 'churn@1', 'quarantined', 'suspicious');
    forge(w, w.as.olga, 'promote.rollback', (db) => {
      const v1 = db.prepare('SELECT * FROM versions WHERE number = 1').get() as { id: number; digest: string };
      const evidence = canonicalJson({ schema: 'airlock.rollback/v1', breakGlass: true, to: { version: 'churn@1', digest: v1.digest } });
      const current = db.prepare('SELECT * FROM activations WHERE ended_at IS NULL AND env_id = 1').get() as { id: number; promotion_id: number };
      db.prepare(`INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (22, ?, 1, 'active', ?, ?, 1, ?, 't', 't')`).run(v1.id, evidence, `sha256:${sha256Hex(utf8Encode(evidence))}`, w.as.olga.user.id);
      db.prepare(`UPDATE activations SET ended_at = 't', ended_by = 22 WHERE id = ?`).run(current.id);
      db.prepare(`UPDATE promotions SET state = 'rolled_back' WHERE id = ?`).run(current.promotion_id);
      db.prepare(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, ?, 22, 't')`).run(v1.id);
    });
    const found = await problemsOf(w);
    expect(found).toMatch(/Promotion #22 is a break-glass rollback to a version that was quarantined then/);
    expect(found).toMatch(/Promotion #22 is a break-glass rollback that opened no review item/);
    // A review item slipped in afterwards, under an action that may open review items, is not the rollback's own.
    forge(w, w.as.olga, 'reports.import', (db) => {
      db.prepare(`INSERT INTO reviews (kind, subject, detail, opened_at, opened_by) VALUES ('rollback', 'promotion:22', 'drill', 't', ?)`).run(w.as.olga.user.id);
    });
    expect(await problemsOf(w)).toMatch(/Promotion #22 is a break-glass rollback that opened no review item/);
  });

  it('an ml-engineer switches off the active version without replacing it', async () => {
    const w = await fork();
    await churn2Active(w);
    forge(w, w.as.bob, 'promote.request', (db) => {
      const current = db.prepare('SELECT * FROM activations WHERE ended_at IS NULL AND env_id = 1').get() as { id: number; promotion_id: number };
      db.prepare(`UPDATE activations SET ended_at = 't', ended_by = ? WHERE id = ?`).run(current.promotion_id, current.id);
      db.prepare(`UPDATE promotions SET state = 'superseded' WHERE id = ?`).run(current.promotion_id);
    });
    expect(await problemsOf(w)).toMatch(/Activation #\d+ was ended by audit event \d+ without another version becoming active in its place/);
  });

  it('whoever broke glass does not resolve its review; a forged resolution by them is named', async () => {
    const w = await fork();
    await churn2Active(w);
    const { reviewId } = rollback(w.reg, w.as.olga, 'churn', 'prod', 'drill');
    expect(codeOf(() => resolveReview(w.reg, w.as.olga, reviewId, 'nothing to see'))).toBe('FORBIDDEN');
    forge(w, w.as.olga, 'review.resolve', (db) => {
      db.prepare(`UPDATE reviews SET resolved_at = 't', resolved_by = ?, note = 'nothing to see' WHERE id = ?`).run(w.as.olga.user.id, reviewId);
    });
    expect(await problemsOf(w)).toMatch(new RegExp(`Review item #${reviewId} was resolved by the person whose rollback opened it`));
  });
});

describe('fourth review: a race against export, an activation filed elsewhere', () => {
  it('a depot export signs what its verification read, even if a row changes while it writes', async () => {
    const w = await fork();
    const second = createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
    const honest = w.reg.db.get<{ manifest: string }>(sql`SELECT manifest FROM deployments WHERE id = ${second.id}`)!.manifest;
    const forged = JSON.stringify({ ...(JSON.parse(honest) as BundleManifest), sequence: 999_999 });
    const out = await tempDir();
    let swapped = false;
    // Another program holding the file swaps deployment 2's manifest once the first bundle is being written.
    const onProgress = () => {
      if (swapped) return;
      swapped = true;
      dropTrigger(w, 'deployments_no_update');
      const db = new Database(w.reg.home.db);
      db.prepare('UPDATE deployments SET manifest = ? WHERE id = ?').run(forged, second.id);
      db.close();
    };
    const { exportDepot } = await import('../services/deployments.js');
    const r = await exportDepot(w.reg, w.as.olga, out, { onProgress });
    expect(swapped).toBe(true);
    expect(w.reg.db.get<{ manifest: string }>(sql`SELECT manifest FROM deployments WHERE id = ${second.id}`)!.manifest).toBe(forged);
    const { verifyBundleFile } = await import('@airlock/shared/node');
    const { readRoots } = await import('../roots.js');
    const sequences = [];
    for (const b of r.bundles) {
      const v = await verifyBundleFile(join(out, b.path), { trust: { root: (await readRoots(w.reg.home))[0]!.root, highWaterMs: 0 }, stagingDir: join(await tempDir(), 'staging') });
      await v.discard();
      sequences.push(v.manifest.sequence);
    }
    expect(sequences.sort()).toEqual([1, 2]);
  });

  it("an ml-engineer's request in a no-approval environment that files its activation under prod is named, and deploy create refuses it", async () => {
    const w = await fork();
    const v2 = await churn2(w);
    createEnvironment(w.reg, w.as.alice, { name: 'dev', tier: 0, policy: { approvals: 0, requiredSuites: [{ suite: 'holdout' }] } });
    forge(w, w.as.bob, 'promote.request', (db) => {
      // A promotion of churn@2 in dev, and an activation of it filed under prod in place of prod's.
      db.prepare("INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) SELECT 25, ?, id, 'active', '{}', 'sha256:' || hex(randomblob(32)), 0, ?, 't', 't' FROM environments WHERE name = 'dev'").run(v2, w.as.bob.user.id);
      const current = db.prepare('SELECT * FROM activations WHERE ended_at IS NULL AND env_id = 1').get() as { id: number; promotion_id: number };
      db.prepare(`UPDATE activations SET ended_at = 't', ended_by = 25 WHERE id = ?`).run(current.id);
      db.prepare(`UPDATE promotions SET state = 'superseded' WHERE id = ?`).run(current.promotion_id);
      db.prepare(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, ?, 25, 't')`).run(v2);
    });
    expect(await problemsOf(w)).toMatch(/Activation #\d+ is filed under another environment or model than its promotion's/);
    expect(codeOf(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).toBe('INTEGRITY_FAILED');
  });
});
