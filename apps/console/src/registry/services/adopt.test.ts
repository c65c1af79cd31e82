import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APPROVAL_PAYLOAD_TYPE, canonicalJson, fromBase64, generateKeyPair, keyIdOf, signDetached, signEnvelope, toBase64, utf8Decode, utf8Encode, type Envelope } from '@airlock/shared/common';
import { codeOfAsync } from '../../../../../test/helpers/codes.js';
import { CHURN, churnVariant, makeRegistry, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { sealEvent } from '../audit-event.js';
import { verifyAuditChain } from '../audit.js';
import { actorFor } from '../auth.js';
import { sql } from '../db/sql.js';
import { auditEvents } from '../repos/audit-events.js';
import { adoptRegistry } from './adopt.js';
import { createDeployment, exportBundle } from './deployments.js';
import { createEnvironment, setPolicy } from './environments.js';
import { runEvaluation } from './evaluations.js';
import { importModel } from './import.js';
import { verifyRegistry } from './integrity.js';
import { transitionVersion } from './lifecycle.js';
import { annotateModel } from './models.js';
import { decidePromotion, requestPromotion } from './promotions.js';

const tempDir = useTempDirs();

/**
 * A registry as an Airlock before seals (schema 2) left it: the same rows and a valid chain whose events
 * seal nothing. Made from a current one by re-signing every event without its seals, as each actor.
 */
async function legacyRegistry(history?: (t: TestRegistry) => Promise<void>): Promise<TestRegistry> {
  const t = await makeRegistry(await tempDir());
  await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' });
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 1 } });
  await history?.(t);
  const signers = Object.values(t.as);
  const db = new Database(t.reg.home.db);
  db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_events_no_replace; DELETE FROM row_seals');
  // Stored as that Airlock stored them: a policy without the defaults added since, approvals without quorum and config digest.
  db.prepare(`UPDATE environments SET policy = '{"approvals":1,"requiredSuites":[{"suite":"holdout"}]}' WHERE name = 'prod'`).run();
  db.exec('DROP TRIGGER approvals_no_update');
  for (const a of db.prepare('SELECT id, user_id, envelope FROM approvals').all() as { id: number; user_id: number; envelope: string }[]) {
    const { configDigest: _c, quorum: _q, ...old } = JSON.parse(utf8Decode(fromBase64((JSON.parse(a.envelope) as Envelope).payload))) as Record<string, unknown>;
    const signer = signers.find((x) => x.user.id === a.user_id)!.signer;
    db.prepare('UPDATE approvals SET envelope = ? WHERE id = ?').run(JSON.stringify(signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(old)), [signer])), a.id);
  }
  let prev = '0'.repeat(64);
  for (const e of auditEvents.page(t.reg.db, 0, 1000)) {
    const signer = signers.find((a) => a.signer.keyId === e.key_id)!.signer;
    const resealed = sealEvent({ ...e, prev_hash: prev, rows: '[]' }, e.key_id, (m) => signDetached(m, signer.secretKey));
    db.prepare('UPDATE audit_events SET prev_hash = ?, rows = ?, hash = ?, signature = ? WHERE seq = ?').run(resealed.prev_hash, '[]', resealed.hash, resealed.signature, e.seq);
    prev = resealed.hash;
  }
  db.close();
  return t;
}

describe('adopting a registry begun before seals', () => {
  it('is refused for work until an admin holding the root key adopts it; then it is held to its seals like a new one', async () => {
    const t = await legacyRegistry();
    expect(verifyAuditChain(t.reg).firstBad).toBeNull();
    await expect(Promise.resolve().then(() => actorFor(t.reg, 'bob'))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', message: expect.stringContaining('airlock audit adopt') });
    expect(await codeOfAsync(() => adoptRegistry(t.reg, t.as.bob))).toBe('FORBIDDEN');

    // init, five users added, the import and the environment
    expect(adoptRegistry(t.reg, t.as.alice)).toMatchObject({ events: 8 });
    expect(await codeOfAsync(() => adoptRegistry(t.reg, t.as.alice))).toBe('CONFLICT');
    expect(actorFor(t.reg, 'bob').user.name).toBe('bob');
    annotateModel(t.reg, t.as.bob, 'churn', { description: 'adopted' });
    expect((await verifyRegistry(t.reg, t.as.aud)).problems).toEqual([]);

    // After adoption the users table vouches for nobody: a key only it holds signs nothing.
    const mallory = generateKeyPair();
    const db = new Database(t.reg.home.db);
    db.prepare(`INSERT INTO users (name, roles, key_id, public_key, key_file, created_at) VALUES ('mallory', '["admin"]', ?, ?, '{}', 't')`).run(keyIdOf(mallory.publicKey), toBase64(mallory.publicKey));
    const last = t.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
    const forged = sealEvent({ seq: last.seq + 1, at: 't', actor: 'mallory', action: 'model.annotate', subject: 's', details: '{}', prev_hash: last.hash, rows: '[]' }, keyIdOf(mallory.publicKey), (m) => signDetached(m, mallory.secretKey));
    db.prepare('INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(forged.seq, forged.at, forged.actor, forged.action, forged.subject, forged.details, forged.prev_hash, forged.hash, forged.key_id, forged.signature, forged.rows);
    db.close();
    expect(verifyAuditChain(t.reg).firstBad).toMatchObject({ seq: forged.seq, problem: 'unknown_key' });
  }, 60_000);

  it('adopted with a policy and approvals in the formats of then, it deploys, exports and verifies clean', async () => {
    const t = await legacyRegistry(async (t) => {
      await runEvaluation(t.reg, t.as.bob, 'churn@1', 'holdout');
      await transitionVersion(t.reg, t.as.bob, 'churn@1', 'validated', 'ok');
      setPolicy(t.reg, t.as.alice, 'prod', { approvals: 1, requiredSuites: [{ suite: 'holdout' }] });
      const { promotion } = await requestPromotion(t.reg, t.as.bob, 'churn@1', 'prod');
      await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve');
    });
    expect(adoptRegistry(t.reg, t.as.alice)).toMatchObject({ normalised: ['prod'] });
    const out = await tempDir();
    // The version approved before adoption ships with its approvals of then.
    const first = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod' });
    await exportBundle(t.reg, t.as.olga, first.id, out, { delta: 'none' });
    // The next one goes through every gate and check of today.
    await importModel(t.reg, t.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
    await runEvaluation(t.reg, t.as.bob, 'churn@2', 'holdout');
    await transitionVersion(t.reg, t.as.bob, 'churn@2', 'validated', 'ok');
    const { promotion } = await requestPromotion(t.reg, t.as.bob, 'churn@2', 'prod');
    expect((await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve')).promotion.state).toBe('active');
    const second = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod' });
    expect((await exportBundle(t.reg, t.as.olga, second.id, out, { delta: 'none' })).path).toMatch(/prod-000002-churn-2/);
    expect((await verifyRegistry(t.reg, t.as.aud)).problems).toEqual([]);
  }, 60_000);
});
