import { readdir, writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, utf8Decode, type Envelope } from '@airlock/shared/common';
import { verifyBundleFile } from '@airlock/shared/node';
import { report, statusBody } from '../../../../../test/helpers/hosts.js';
import { codeOfAsync } from '../../../../../test/helpers/codes.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { makeRegistry } from '../../../../../test/helpers/registry.js';
import { countRows, useWorld, type World } from '../../../../../test/helpers/world.js';
import { sealEvent } from '../audit-event.js';
import { mutate, verifyAuditChain } from '../audit.js';
import { actorFor, type SigningActor } from '../auth.js';
import type { RowKey } from '../db/seals.js';
import { sql } from '../db/sql.js';
import type { SealedTable } from '../db/tables.js';
import { models } from '../repos/models.js';
import { users } from '../repos/users.js';
import { readRoots } from '../roots.js';
import { readAnchor, writeAnchor } from '../services/audit-anchors.js';
import { createDeployment, exportBundle } from '../services/deployments.js';
import { createEnvironment, setSecrets } from '../services/environments.js';
import { assignHost, revokeHost } from '../services/hosts.js';
import { verifyAuditLog, verifyRegistry } from '../services/integrity.js';
import { annotateModel } from '../services/models.js';
import { requestPromotion } from '../services/promotions.js';
import { importReports } from '../services/reports.js';

/**
 * The integrity holes an attacker holding the database file (or a user's key) found, each replayed
 * against a registry built by the services: refused by a trigger, or refused by the call that would
 * act on the forged row with INTEGRITY_FAILED — with nothing changed — and named by `airlock verify`.
 */
const tempDir = useTempDirs();
const { fork } = useWorld();

/**
 * The attacker: another program (the sqlite3 shell, say) with the database file open, so none of
 * Airlock's own connection state applies. With `drop`, it first drops every trigger.
 */
function tamper(w: World, statements: string, params: unknown[] = [], opts: { drop?: boolean } = {}): void {
  const db = new Database(w.reg.home.db);
  try {
    if (opts.drop) for (const t of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
    if (params.length) db.prepare(statements).run(...params);
    else db.exec(statements);
  } finally {
    db.close();
  }
}
const rowProblem = async (w: World, table: string) => (await verifyRegistry(w.reg, w.as.aud)).problems.filter((p) => p.details?.table === table);

describe('hole 1: INSERT OR REPLACE walks past the write-once triggers', () => {
  const replaceEvaluation = `INSERT OR REPLACE INTO evaluations SELECT id, version_id, version_digest, suite, json_set(metrics, '$.accuracy', 0.99), results_digest, source, recorded_at, recorded_by FROM evaluations WHERE id = 1`;
  const replaceVersion = `INSERT OR REPLACE INTO versions SELECT id, model_id, number, digest, json_set(manifest, '$.licence', 'public domain'), created_at, created_by FROM versions WHERE id = 1`;

  it.each([
    ['an evaluation', replaceEvaluation],
    ['a version', replaceVersion],
  ])('REPLACE of %s is refused by the table itself', async (_what, statement) => {
    const w = await fork();
    expect(() => tamper(w, statement)).toThrow(/IMMUTABLE: \w+ rows are never replaced/);
    expect((await verifyRegistry(w.reg, w.as.aud)).ok).toBe(true);
  });

  it('with the triggers dropped, verify names the evaluation and its metrics column, and a promotion relying on it is refused', async () => {
    const w = await fork();
    tamper(w, replaceEvaluation, [], { drop: true });
    expect(await rowProblem(w, 'evaluations')).toEqual([expect.objectContaining({ code: 'INTEGRITY_FAILED', details: expect.objectContaining({ table: 'evaluations', key: [1], columns: ['metrics'] }) })]);
    createEnvironment(w.reg, w.as.alice, { name: 'edge', tier: 2, policy: { approvals: 0, requiredSuites: [{ suite: 'holdout' }] } });
    const before = countRows(w, 'promotions');
    expect(await codeOfAsync(() => requestPromotion(w.reg, w.as.bob, 'churn@1', 'edge'))).toBe('INTEGRITY_FAILED');
    expect(countRows(w, 'promotions')).toBe(before);
  });
});

describe('hole 2: an edited manifest is never signed or shipped', () => {
  const inject = (w: World) =>
    tamper(w, `UPDATE versions SET manifest = json_set(manifest, '$.runtime.command', 'sh', '$.runtime.args', json('["-c","id > /tmp/owned"]')) WHERE id = 1`, [], { drop: true });

  it('verify recomputes the digest and names the version and its manifest column', async () => {
    const w = await fork();
    inject(w);
    const { problems } = await verifyRegistry(w.reg, w.as.aud);
    expect(problems).toContainEqual(expect.objectContaining({ code: 'INTEGRITY_FAILED', subject: 'version:churn@1', message: expect.stringMatching(/hashes to sha256:[0-9a-f]{64}, not to its recorded digest/) }));
    expect(problems).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ table: 'versions', key: [1], columns: ['manifest'] }) }));
  });

  it('deploy create refuses it and creates nothing', async () => {
    const w = await fork();
    inject(w);
    const before = [countRows(w, 'deployments'), w.reg.db.get<{ sequence: number }>(sql`SELECT sequence FROM channels WHERE name = 'prod'`)!.sequence];
    expect(await codeOfAsync(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).toBe('INTEGRITY_FAILED');
    expect([countRows(w, 'deployments'), w.reg.db.get<{ sequence: number }>(sql`SELECT sequence FROM channels WHERE name = 'prod'`)!.sequence]).toEqual(before);
  });

  it('bundle export of a deployment made before the edit refuses it and writes no file', async () => {
    const w = await fork();
    inject(w);
    const out = await tempDir();
    expect(await codeOfAsync(() => exportBundle(w.reg, w.as.olga, w.deploymentId, out, { delta: 'none' }))).toBe('INTEGRITY_FAILED');
    expect(await readdir(out)).toEqual([]);
  });

  it('even with the digest recomputed to match, the seal of the import refuses it', async () => {
    const w = await fork();
    inject(w);
    const { versionDigest, VersionManifestSchema } = await import('@airlock/shared/common');
    const m = VersionManifestSchema.parse(JSON.parse(w.reg.db.get<{ manifest: string }>(sql`SELECT manifest FROM versions WHERE id = 1`)!.manifest));
    tamper(w, 'UPDATE versions SET digest = ? WHERE id = 1', [versionDigest(m)]);
    expect(await codeOfAsync(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).toBe('INTEGRITY_FAILED');
    expect(await rowProblem(w, 'versions')).toEqual([expect.objectContaining({ details: expect.objectContaining({ columns: ['digest', 'manifest'] }) })]);
  });
});

describe('hole 3: policy and roles cannot be changed without a trace', () => {
  it('a prod policy set to zero approvals in the database: the promotion is refused and nothing becomes active', async () => {
    const w = await fork();
    const { importModel } = await import('../services/import.js');
    const { transitionVersion } = await import('../services/lifecycle.js');
    const { churnVariant } = await import('../../../../../test/helpers/registry.js');
    await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
    const { runEvaluation } = await import('../services/evaluations.js');
    await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout');
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    expect(await codeOfAsync(() => requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod'))).toBe('INTEGRITY_FAILED');
    expect(w.reg.db.get<{ number: number }>(sql`SELECT v.number FROM activations a JOIN versions v ON v.id = a.version_id WHERE a.ended_at IS NULL`)!.number).toBe(1);
    expect(await rowProblem(w, 'environments')).toEqual([expect.objectContaining({ details: expect.objectContaining({ columns: ['policy'] }) })]);
  });

  it('roles raised in the database are refused at sign-in, and verify names the column', async () => {
    const w = await fork();
    tamper(w, `UPDATE users SET roles = '["admin"]' WHERE name = 'bob'`);
    expect(await codeOfAsync(() => actorFor(w.reg, 'bob'))).toBe('INTEGRITY_FAILED');
    expect(await rowProblem(w, 'users')).toEqual([expect.objectContaining({ details: expect.objectContaining({ key: [users.byName(w.reg.db, 'bob')!.id], columns: ['roles'] }) })]);
  });

  it("a key swapped in the users table: Airlock refuses to act on anything it vouched for, and the swapper's own events do not verify", async () => {
    const w = await fork();
    const { generateKeyPair, signDetached, keyIdOf, toBase64, canonicalJson } = await import('@airlock/shared/common');
    const mallory = generateKeyPair();
    const alice = users.byName(w.reg.db, 'alice')!;
    tamper(w, 'UPDATE users SET key_id = ?, public_key = ? WHERE id = ?', [keyIdOf(mallory.publicKey), toBase64(mallory.publicKey), alice.id], { drop: true });
    // Every seal traces back through alice's row, which no longer matches the event that sealed it.
    expect(await codeOfAsync(() => annotateModel(w.reg, w.as.bob, 'churn', { description: 'x' }))).toBe('INTEGRITY_FAILED');
    // An event appended with SQL, signed by the swapped-in key in alice's name.
    const last = w.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
    const forged = sealEvent({ seq: last.seq + 1, at: w.reg.now(), actor: 'alice', action: 'env.policy', subject: 'env:prod', details: canonicalJson({}), prev_hash: last.hash, rows: '[]' }, keyIdOf(mallory.publicKey), (m) => signDetached(m, mallory.secretKey));
    tamper(w, 'INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [forged.seq, forged.at, forged.actor, forged.action, forged.subject, forged.details, forged.prev_hash, forged.hash, forged.key_id, forged.signature, forged.rows]);
    expect(verifyAuditChain(w.reg).firstBad).toMatchObject({ seq: forged.seq, problem: 'unknown_key' });
  });

  it('roles padded past the inline seal size and sealed by their own non-admin holder are refused everywhere', async () => {
    const w = await fork();
    const bob = users.byName(w.reg.db, 'bob')!;
    const padded = `["admin","ml-engineer"]${' '.repeat(60)}`;
    tamper(w, 'UPDATE users SET roles = ? WHERE id = ?', [padded, bob.id]);
    // bob signs a change that seals his own padded row (as a stolen key and a raw write would).
    const { sealRow, keyText } = await import('../db/seals.js');
    const { canonicalJson, signDetached } = await import('@airlock/shared/common');
    const row = w.reg.db.get<Record<string, unknown>>(sql`SELECT * FROM users WHERE id = ${bob.id}`)!;
    const last = w.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
    const e = sealEvent({ seq: last.seq + 1, at: w.reg.now(), actor: 'bob', action: 'model.annotate', subject: 'model:churn', details: '{}', prev_hash: last.hash, rows: canonicalJson([{ table: 'users', key: [bob.id], row: sealRow(row) }]) }, w.as.bob.signer.keyId, (m) => signDetached(m, w.as.bob.signer.secretKey));
    tamper(w, 'INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash, e.key_id, e.signature, e.rows]);
    tamper(w, 'UPDATE row_seals SET seq = ? WHERE tbl = ? AND key = ?', [e.seq, 'users', keyText([bob.id])]);
    expect(verifyAuditChain(w.reg).firstBad).toMatchObject({ seq: e.seq, problem: 'role' });
    expect(await codeOfAsync(() => actorFor(w.reg, 'bob'))).toBe('INTEGRITY_FAILED');
  });

  it('an event by a non-admin that adds a user is refused by the chain check', async () => {
    const w = await fork();
    const { generateKeyPair, keyIdOf, toBase64 } = await import('@airlock/shared/common');
    const k = generateKeyPair();
    mutate(w.reg, w.as.bob, null, () => {
      users.insert(w.reg.db, { name: 'eve', roles: ['admin'], key_id: keyIdOf(k.publicKey), public_key: toBase64(k.publicKey), key_file: '{}', created_at: w.reg.now() });
      return { result: undefined, audit: { action: 'user.add', subject: 'user:eve' } };
    });
    expect(verifyAuditChain(w.reg).firstBad).toMatchObject({ problem: 'role', message: expect.stringMatching(/bob was not an admin/) });
  });
});

/**
 * An attacker holding the database and one user's key: changes rows with SQL, then appends an event
 * signed with that key that seals them, exactly as Airlock would have (and points the index at it).
 */
async function forgeEvent(w: World, actor: SigningActor, action: string, rows: [SealedTable, RowKey][]): Promise<number> {
  const { sealRow, keyText, readRow } = await import('../db/seals.js');
  const { canonicalJson, signDetached } = await import('@airlock/shared/common');
  const last = w.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
  const { rowSeals } = await import('../repos/row-seals.js');
  // Built on each row's newest seal, as Airlock itself would record it: the replay's other checks must catch it.
  const seals = rows.map(([table, key]) => {
    const prior = rowSeals.get(w.reg.db, table, keyText(key));
    return { table, key, row: sealRow(readRow(w.reg.db, table, key)!), ...(prior === undefined ? {} : { prior }) };
  });
  const e = sealEvent({ seq: last.seq + 1, at: w.reg.now(), actor: actor.user.name, action, subject: 'forged', details: '{}', prev_hash: last.hash, rows: canonicalJson(seals) }, actor.signer.keyId, (m) => signDetached(m, actor.signer.secretKey));
  tamper(w, 'INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash, e.key_id, e.signature, e.rows]);
  for (const s of seals) tamper(w, 'INSERT INTO row_seals (tbl, key, seq) VALUES (?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET seq = excluded.seq', [s.table, keyText(s.key), e.seq]);
  return e.seq;
}

describe('a stolen non-admin key and the database: verify replays who may do what, and what was decided', () => {
  it('an action the signer may not perform is reported, even when every row is sealed', async () => {
    const w = await fork();
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    const seq = await forgeEvent(w, w.as.olga, 'env.policy', [['environments', [1]]]);
    const { problems } = await verifyRegistry(w.reg, w.as.aud);
    expect(problems).toContainEqual(expect.objectContaining({ subject: `audit:${seq}`, message: expect.stringMatching(/signed by olga, whose roles then \(operator\) did not allow it/) }));
  });

  it('a change outside what the named action writes is reported', async () => {
    const w = await fork();
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    await forgeEvent(w, w.as.olga, 'env.secrets', [['environments', [1]]]);
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/environments row \[1\]: audit event \d+ changes policy, which env.secrets never changes/) }));
  });

  it('an action Airlock never performs is reported', async () => {
    const w = await fork();
    const seq = await forgeEvent(w, w.as.bob, 'promote.force', []);
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toContainEqual(expect.objectContaining({ subject: `audit:${seq}`, message: expect.stringContaining('"promote.force", which is not an action Airlock performs') }));
  });

  it('a promotion moved to active by the requester\'s own signed event is reported: no quorum of approvals', async () => {
    const w = await fork();
    const { importModel } = await import('../services/import.js');
    const { transitionVersion } = await import('../services/lifecycle.js');
    const { recordEvaluation } = await import('../services/evaluations.js');
    const { churnVariant } = await import('../../../../../test/helpers/registry.js');
    await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.95 } });
    const { promotion } = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
    const old = w.reg.db.get<{ id: number }>(sql`SELECT id FROM activations WHERE ended_at IS NULL`)!;
    tamper(w, `UPDATE promotions SET state = 'active' WHERE id = ?`, [promotion.id], { drop: true });
    tamper(w, `UPDATE activations SET ended_at = 'now', ended_by = ? WHERE id = ?`, [promotion.id, old.id]);
    tamper(w, `INSERT INTO activations (id, env_id, model_id, version_id, promotion_id, activated_at) SELECT 50, p.env_id, v.model_id, p.version_id, p.id, 'now' FROM promotions p JOIN versions v ON v.id = p.version_id WHERE p.id = ?`, [promotion.id]);
    await forgeEvent(w, w.as.bob, 'promote.request', [['promotions', [promotion.id]], ['activations', [old.id]], ['activations', [50]]]);
    const { problems } = await verifyRegistry(w.reg, w.as.aud);
    expect(problems).toContainEqual(expect.objectContaining({ subject: `promotion:${promotion.id}`, message: expect.stringMatching(/is active with 0 valid approval\(s\); its policy required 1/) }));
  });

  it('a promotion whose evidence rests on a policy that was never in force is reported', async () => {
    const w = await fork();
    const { canonicalJson } = await import('@airlock/shared/common');
    const p = w.reg.db.get<{ id: number; evidence: string }>(sql`SELECT id, evidence FROM promotions WHERE id = ${w.promotionId}`)!;
    const evidence = JSON.parse(p.evidence) as { policy: { approvals: number } };
    evidence.policy.approvals = 0;
    const text = canonicalJson(evidence);
    const { sha256Hex, utf8Encode } = await import('@airlock/shared/common');
    tamper(w, 'UPDATE promotions SET evidence = ?, evidence_digest = ? WHERE id = ?', [text, `sha256:${sha256Hex(utf8Encode(text))}`, p.id], { drop: true });
    await forgeEvent(w, w.as.bob, 'promote.request', [['promotions', [p.id]]]);
    const { problems } = await verifyRegistry(w.reg, w.as.aud);
    expect(problems).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/promotions row \[1\]: audit event \d+ changes columns that never change/) }));
    expect(problems).toContainEqual(expect.objectContaining({ subject: `promotion:${p.id}`, message: expect.stringContaining("its evidence holds a policy that was not environment prod's then") }));
  });
});

describe('second review: what a stolen non-admin key could still sign, and what the replay now finds', () => {
  /** churn@2 validated with holdout results, not yet requested. */
  async function churn2(w: World) {
    const { importModel } = await import('../services/import.js');
    const { transitionVersion } = await import('../services/lifecycle.js');
    const { recordEvaluation } = await import('../services/evaluations.js');
    const { churnVariant } = await import('../../../../../test/helpers/registry.js');
    const { version } = await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.95 } });
    return version.id;
  }
  const problemsOf = async (w: World) => (await verifyRegistry(w.reg, w.as.aud)).problems.map((p) => p.message).join('\n');

  it('an ml-engineer cannot forge a break-glass promotion of a version never active there', async () => {
    const w = await fork();
    const v2 = await churn2(w);
    const old = w.reg.db.get<{ id: number; promotion_id: number }>(sql`SELECT id, promotion_id FROM activations WHERE ended_at IS NULL`)!;
    const evidence = JSON.stringify({ schema: 'airlock.rollback/v1', breakGlass: true, to: { digest: w.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${v2}`)!.digest } });
    const { sha256Hex, utf8Encode } = await import('@airlock/shared/common');
    tamper(w, `INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (40, ?, 1, 'active', ?, ?, 1, ?, 't', 't')`, [v2, evidence, `sha256:${sha256Hex(utf8Encode(evidence))}`, w.as.bob.user.id], { drop: true });
    tamper(w, `UPDATE promotions SET state = 'rolled_back' WHERE id = ?`, [old.promotion_id]);
    tamper(w, `UPDATE activations SET ended_at = 't', ended_by = 40 WHERE id = ?`, [old.id]);
    tamper(w, `INSERT INTO activations (id, env_id, model_id, version_id, promotion_id, activated_at) VALUES (41, 1, 1, ?, 40, 't')`, [v2]);
    await forgeEvent(w, w.as.bob, 'promote.request', [['promotions', [40]], ['promotions', [old.promotion_id]], ['activations', [old.id]], ['activations', [41]]]);
    const found = await problemsOf(w);
    expect(found).toMatch(/creates a break-glass promotion in state active, which promote.request never does/);
    expect(found).toMatch(/Promotion #40 is a break-glass rollback to a version that was never active in its environment before/);
  });

  it('a revoked version signed back to validated by an ml-engineer is reported', async () => {
    const w = await fork();
    const { transitionVersion } = await import('../services/lifecycle.js');
    await transitionVersion(w.reg, w.as.alice, 'churn@1', 'revoked', 'leaked');
    tamper(w, `UPDATE version_status SET state = 'validated' WHERE version_id = 1`);
    await forgeEvent(w, w.as.bob, 'version.validated', [['version_status', [1]]]);
    expect(await problemsOf(w)).toMatch(/moves a version from revoked to validated, which the lifecycle never allows/);
  });

  it('a promotion whose approvals were voided, signed to active by its requester, is reported', async () => {
    const w = await fork();
    await churn2(w);
    const { promotion } = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
    const { recordEvaluation } = await import('../services/evaluations.js');
    const { decidePromotion } = await import('../services/promotions.js');
    recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.96 } });
    expect((await decidePromotion(w.reg, w.as.carol, promotion.id, 'approve')).refused?.code).toBe('EVIDENCE_CHANGED');
    tamper(w, `UPDATE promotions SET state = 'active' WHERE id = ?`, [promotion.id]);
    await forgeEvent(w, w.as.bob, 'promote.request', [['promotions', [promotion.id]]]);
    expect(await problemsOf(w)).toMatch(/moves a promotion from expired to active under promote.request, which never makes that move/);
  });

  it('an operator\'s forged deployment of a version that is not active, with approvals of another promotion, is reported', async () => {
    const w = await fork();
    await churn2(w);
    const d = w.reg.db.get<{ manifest: string }>(sql`SELECT manifest FROM deployments WHERE id = ${w.deploymentId}`)!;
    const v2 = w.reg.db.get<{ id: number }>(sql`SELECT id FROM versions WHERE number = 2`)!;
    tamper(w, `INSERT INTO deployments (id, env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (9, 1, ?, 'churn', 'prod', 9, 'forged-bundle-1', ?, 't', ?)`, [v2.id, d.manifest, w.as.olga.user.id]);
    await forgeEvent(w, w.as.olga, 'deploy.create', [['deployments', [9]]]);
    expect(await problemsOf(w)).toMatch(/Deployment #9 ships a version that was not active in its environment when it was made/);
  });

  it('rows that name someone else, results claimed as executed, and made-up host status are reported', async () => {
    const w = await fork();
    tamper(w, `INSERT INTO evaluations (id, version_id, version_digest, suite, metrics, results_digest, source, recorded_at, recorded_by) SELECT 30, version_id, version_digest, suite, '{"accuracy":0.999}', results_digest, 'executed', recorded_at, ? FROM evaluations WHERE id = 1`, [w.as.alice.user.id], { drop: true });
    await forgeEvent(w, w.as.bob, 'eval.record', [['evaluations', [30]]]);
    tamper(w, `UPDATE hosts SET last_status = '{"slots":[]}' WHERE id = 1`);
    tamper(w, `UPDATE deployment_hosts SET state = 'rolled_back'`);
    await forgeEvent(w, w.as.olga, 'reports.import', [['hosts', [1]], ['deployment_hosts', [w.deploymentId, 1]]]);
    const found = await problemsOf(w);
    expect(found).toMatch(/evaluations row \[30\]: audit event \d+ names user #1 in recorded_by, but was signed by bob/);
    expect(found).toMatch(/records executed results under eval.record, which records reported ones/);
    expect(found).toMatch(/hosts row 1: its last status is not its newest status report/);
    expect(found).toMatch(/its state rolled_back is not what the host's receipts for the bundle say/);
  });

  it('a row rolled back to an older genuine seal is reported once an honest change builds on it', async () => {
    const w = await fork();
    const { transitionVersion } = await import('../services/lifecycle.js');
    const before = w.reg.db.get<{ seq: number }>(sql`SELECT seq FROM row_seals WHERE tbl = 'version_status' AND key = '[1]'`)!.seq;
    await transitionVersion(w.reg, w.as.carol, 'churn@1', 'quarantined', 'suspicious');
    tamper(w, `UPDATE version_status SET state = 'validated', changed_at = (SELECT changed_at FROM version_status WHERE version_id = 1) WHERE version_id = 1`);
    const sealed = JSON.parse(w.reg.db.get<{ rows: string }>(sql`SELECT rows FROM audit_events WHERE seq = ${before}`)!.rows) as { table: string; row: Record<string, unknown> }[];
    const old = sealed.find((r) => r.table === 'version_status')!.row;
    tamper(w, `UPDATE version_status SET changed_at = ? WHERE version_id = 1`, [old.changed_at]);
    tamper(w, `UPDATE row_seals SET seq = ? WHERE tbl = 'version_status' AND key = '[1]'`, [before]);
    await transitionVersion(w.reg, w.as.bob, 'churn@1', 'deprecated', 'laundering');
    expect(await problemsOf(w)).toMatch(/version_status row \[1\]: audit event \d+ was made on the row as audit event \d+ left it, but audit event \d+ had sealed it since/);
  });

  it('a self-introduced root key whose key id is not the hash of its key vouches for nothing', async () => {
    const w = await fork();
    const { generateKeyPair, signDetached, toBase64, canonicalJson } = await import('@airlock/shared/common');
    const { sealRow, keyText } = await import('../db/seals.js');
    const mallory = generateKeyPair();
    const alice = w.reg.db.get<Record<string, unknown>>(sql`SELECT * FROM users WHERE name = 'alice'`)!;
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    const env = w.reg.db.get<Record<string, unknown>>(sql`SELECT * FROM environments WHERE name = 'prod'`)!;
    const rows = canonicalJson([{ table: 'environments', key: [1], row: sealRow(env) }, { table: 'users', key: [alice.id], row: sealRow({ ...alice, public_key: toBase64(mallory.publicKey) }) }]);
    const last = w.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
    const e = sealEvent({ seq: last.seq + 1, at: 't', actor: 'alice', action: 'env.policy', subject: 'x', details: '{}', prev_hash: last.hash, rows }, alice.key_id as string, (m) => signDetached(m, mallory.secretKey));
    tamper(w, 'INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash, e.key_id, e.signature, e.rows]);
    tamper(w, `UPDATE row_seals SET seq = ? WHERE tbl = 'environments' AND key = ?`, [e.seq, keyText([1])]);
    await churn2(w);
    expect(await codeOfAsync(() => requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod'))).toBe('INTEGRITY_FAILED');
  });
});

describe('laundering: an honest change never seals what was edited behind it', () => {
  it('a policy edited with SQL is not re-sealed by the next honest change to that environment', async () => {
    const w = await fork();
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    const before = countRows(w, 'audit_events');
    await expect(Promise.resolve().then(() => setSecrets(w.reg, w.as.olga, 'prod', ['DB_PASSWORD']))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', message: expect.stringMatching(/environments row \[1\] differs .* column\(s\) policy/) });
    expect(countRows(w, 'audit_events')).toBe(before);
    expect(await rowProblem(w, 'environments')).toHaveLength(1);
  });

  it('a revoked host brought back with SQL is not re-sealed by assigning it', async () => {
    const w = await fork();
    revokeHost(w.reg, w.as.alice, 'host-a', 'stolen');
    tamper(w, `UPDATE hosts SET revoked_at = NULL WHERE host_id = 'host-a'`);
    expect(await codeOfAsync(() => assignHost(w.reg, w.as.olga, 'host-a', 'prod'))).toBe('INTEGRITY_FAILED');
    expect(await codeOfAsync(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', hosts: ['host-a'] }))).toBe('INTEGRITY_FAILED');
  });

  it('a channel sequence moved with SQL is refused by the next deployment, not sealed', async () => {
    const w = await fork();
    tamper(w, `UPDATE channels SET sequence = 1000 WHERE name = 'prod'`, [], { drop: true });
    expect(await codeOfAsync(() => createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' }))).toBe('INTEGRITY_FAILED');
  });

  it('a seal event forged outside the chain (with a users row for its key) vouches for nothing', async () => {
    const w = await fork();
    const { generateKeyPair, signDetached, keyIdOf, toBase64, canonicalJson } = await import('@airlock/shared/common');
    const { sealRow } = await import('../db/seals.js');
    const mallory = generateKeyPair();
    tamper(w, `INSERT INTO users (id, name, roles, key_id, public_key, key_file, created_at) VALUES (99, 'mallory', '["admin"]', ?, ?, '{}', 't')`, [keyIdOf(mallory.publicKey), toBase64(mallory.publicKey)], { drop: true });
    tamper(w, `UPDATE environments SET policy = json_set(policy, '$.approvals', 0) WHERE name = 'prod'`);
    const env = w.reg.db.get<Record<string, unknown>>(sql`SELECT * FROM environments WHERE name = 'prod'`)!;
    const mal = w.reg.db.get<Record<string, unknown>>(sql`SELECT * FROM users WHERE id = 99`)!;
    const rows = canonicalJson([{ table: 'environments', key: [env.id], row: sealRow(env) }, { table: 'users', key: [99], row: sealRow(mal) }]);
    const fake = sealEvent({ seq: -1, at: w.reg.now(), actor: 'mallory', action: 'env.policy', subject: 'env:prod', details: '{}', prev_hash: '0'.repeat(64), rows }, keyIdOf(mallory.publicKey), (m) => signDetached(m, mallory.secretKey));
    tamper(w, 'INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [fake.seq, fake.at, fake.actor, fake.action, fake.subject, fake.details, fake.prev_hash, fake.hash, fake.key_id, fake.signature, fake.rows]);
    tamper(w, `UPDATE row_seals SET seq = -1 WHERE tbl = 'environments'; INSERT INTO row_seals (tbl, key, seq) VALUES ('users', '[99]', -1)`);
    const { importModel } = await import('../services/import.js');
    const { transitionVersion } = await import('../services/lifecycle.js');
    const { churnVariant } = await import('../../../../../test/helpers/registry.js');
    await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
    expect(await codeOfAsync(() => requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod'))).toBe('INTEGRITY_FAILED');
  });
});

describe('hole 4: a cut-off audit tail is caught against heads kept outside the registry', () => {
  /** Cuts the newest event (a description change) and puts the description back: a consistent truncation. */
  const truncate = (w: World, description: string) => {
    const last = w.reg.db.get<{ seq: number }>(sql`SELECT max(seq) AS seq FROM audit_events`)!.seq;
    tamper(w, 'DELETE FROM audit_events WHERE seq = ?', [last], { drop: true });
    tamper(w, `UPDATE models SET description = ? WHERE name = 'churn'`, [description]);
    tamper(w, 'UPDATE row_seals SET seq = (SELECT max(seq) FROM audit_events) WHERE seq = ?', [last]);
    return last;
  };

  it('without an outside head the truncation is invisible, with an anchor it is AUDIT_TRUNCATED naming the last event the anchor proves', async () => {
    const w = await fork();
    const original = models.byName(w.reg.db, 'churn')!.description;
    annotateModel(w.reg, w.as.bob, 'churn', { description: 'retrained weekly' });
    const file = join(await tempDir(), 'anchor.json');
    const anchor = await writeAnchor(w.reg, w.as.aud, file);
    const cut = truncate(w, original);
    expect(anchor.head.seq).toBe(cut);
    expect((await verifyRegistry(w.reg, w.as.aud)).ok).toBe(true);

    const claim = await readAnchor(w.reg, w.as.aud, file);
    expect(verifyAuditLog(w.reg, w.as.aud, [claim]).problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_TRUNCATED', message: expect.stringContaining(`saw event ${cut}`), details: expect.objectContaining({ lastSeq: cut - 1, provenSeq: cut }) }),
    ]);
    expect((await verifyRegistry(w.reg, w.as.aud, { anchors: [claim] })).problems.map((p) => p.code)).toEqual(['AUDIT_TRUNCATED']);
  });

  it('an anchor with an edited head, or from a key the registry does not know, is refused', async () => {
    const w = await fork();
    const file = join(await tempDir(), 'anchor.json');
    await writeAnchor(w.reg, w.as.aud, file);
    const env = JSON.parse(await (await import('node:fs/promises')).readFile(file, 'utf8')) as Envelope;
    const payload = JSON.parse(utf8Decode(fromBase64(env.payload))) as { head: { seq: number } };
    payload.head.seq += 100;
    await writeFile(file, JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(payload)).toString('base64') }));
    expect(await codeOfAsync(() => readAnchor(w.reg, w.as.aud, file))).toBe('SIGNATURE_INVALID');
    const other = await makeRegistry(await tempDir());
    const foreign = join(await tempDir(), 'foreign.json');
    await writeAnchor(other.reg, other.as.aud, foreign);
    other.reg.close();
    expect(await codeOfAsync(() => readAnchor(w.reg, w.as.aud, foreign))).toBe('SIGNATURE_KEY_UNKNOWN');
  }, 60_000);

  it("every bundle carries the registry's head; a host's report of a head the log no longer reaches opens a review, and verify calls the rewrite", async () => {
    const w = await fork();
    const original = models.byName(w.reg.db, 'churn')!.description;
    annotateModel(w.reg, w.as.bob, 'churn', { description: 'retrained weekly' });
    const out = await tempDir();
    const head = w.reg.db.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)!;
    const exported = await exportBundle(w.reg, w.as.olga, w.deploymentId, out, { delta: 'none' });
    const verified = await verifyBundleFile(exported.path, { trust: { root: (await readRoots(w.reg.home))[0]!.root, highWaterMs: 0 }, stagingDir: join(await tempDir(), 'staging') });
    await verified.discard();
    expect(verified.manifest.auditHead).toEqual({ seq: head.seq, hash: head.hash });

    // The export's own event goes too, and the description is put back: the log now ends before the head the host saw.
    truncate(w, 'retrained weekly');
    truncate(w, original);
    const stick = await tempDir();
    const digest = w.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${w.versionId}`)!.digest;
    await writeFile(join(stick, '3.json'), report(w.host, 'status', { ...statusBody({ slot: 'churn', model: 'churn', version: 1, digest, healthy: true }, []), auditHead: { seq: head.seq, hash: head.hash } }));
    const summary = await importReports(w.reg, w.as.olga, stick);
    expect(summary.audit).toEqual([expect.objectContaining({ code: 'AUDIT_TRUNCATED' })]);
    expect(w.reg.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM reviews WHERE kind = 'audit_anchor' AND resolved_at IS NULL`)!.n).toBe(1);
    // The import's own event now holds that sequence number: the host saw another event there, so verify calls it a rewrite.
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHAIN_BROKEN', message: expect.stringMatching(new RegExp(`host host-a .* saw another event ${head.seq} than the log holds`)) }),
    ]);
  });
});
