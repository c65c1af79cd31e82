import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Db, migrate } from '../database.js';
import { sql } from '../sql.js';

/** A version-2 database with a row in every table, as the first two schemas wrote them. */
function atVersion2(): Db {
  const db = new Db(new Database(':memory:'));
  migrate(db, 2);
  db.raw.exec(`
    INSERT INTO users (id, name, roles, key_id, public_key, key_file, created_at) VALUES (1, 'alice', '["admin"]', 'k1', 'p1', '{}', 't');
    INSERT INTO models (id, name, kind, created_at, created_by) VALUES (1, 'm', 'classic', 't', 1);
    INSERT INTO versions (id, model_id, number, digest, manifest, created_at, created_by) VALUES (1, 1, 1, 'd1', '{}', 't', 1);
    INSERT INTO version_status (version_id, state, changed_at) VALUES (1, 'registered', 't');
    INSERT INTO components (version_id, path, role, digest, size) VALUES (1, 'w.bin', 'weights', 'b1', 3);
    INSERT INTO dependencies (version_id, kind, digest) VALUES (1, 'dataset', 'x');
    INSERT INTO evaluations (id, version_id, version_digest, suite, metrics, results_digest, source, recorded_at, recorded_by) VALUES (1, 1, 'd1', 's', '{}', 'r', 'run', 't', 1), (2, 1, 'd1', 's', '{}', 'r', 'record', 't', 1);
    INSERT INTO environments (id, name, tier, policy, secrets, created_at) VALUES (1, 'prod', 1, '{}', '[]', 't');
    INSERT INTO overlays (env_id, model_id, config, updated_at) VALUES (1, 1, '{}', 't');
    INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (1, 1, 1, 'active', '{}', 'e', 0, 1, 't', 't');
    INSERT INTO approvals (id, promotion_id, user_id, decision, evidence_digest, envelope, at) VALUES (1, 1, 1, 'approve', 'e', '{}', 't');
    INSERT INTO activations (id, env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, 1, 1, 1, 't');
    INSERT INTO reviews (id, kind, subject, detail, opened_at) VALUES (1, 'rollback', 's', 'd', 't');
    INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature) VALUES (1, 't', 'alice', 'a', 's', '{}', 'p', 'h', 'k1', 'sig');
    INSERT INTO hosts (id, host_id, key_id, public_key, labels, facts, enrolled_at) VALUES (1, 'h', 'k', 'p', '{}', '{}', 't');
    INSERT INTO channels (name, sequence) VALUES ('prod', 1);
    INSERT INTO deployments (id, env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (1, 1, 1, 'main', 'prod', 1, 'b', '{}', 't', 1);
    INSERT INTO deployment_hosts (deployment_id, host, state, updated_at) VALUES (1, 1, 'pending', 't');
    INSERT INTO reports (digest, host, seq, kind, at, body, imported_at) VALUES ('r', 1, 1, 'status', 't', '{}', 't');
  `);
  return db;
}

describe('migration 0003 (seals)', () => {
  const db = atVersion2();
  migrate(db, 3);

  it('migrates a version-2 database in place: seals column, seal index, report envelopes, evaluation sources renamed', () => {
    expect(db.raw.pragma('user_version', { simple: true })).toBe(3);
    expect(db.get(sql`SELECT rows FROM audit_events WHERE seq = 1`)).toEqual({ rows: '[]' });
    expect(db.get(sql`SELECT envelope FROM reports WHERE digest = 'r'`)).toEqual({ envelope: null });
    expect(db.all(sql`SELECT id, source FROM evaluations ORDER BY id`)).toEqual([{ id: 1, source: 'executed' }, { id: 2, source: 'reported' }]);
    expect(db.get(sql`SELECT count(*) AS n FROM row_seals`)).toEqual({ n: 0 });
    expect(() => db.raw.exec(`UPDATE evaluations SET source = 'executed' WHERE id = 2`)).toThrow(/IMMUTABLE/);
  });

  // INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers: each of these
  // would silently rewrite a protected row on a version-2 database.
  const replaced: [string, string][] = [
    ['users', `INSERT OR REPLACE INTO users (id, name, roles, key_id, public_key, key_file, created_at) VALUES (1, 'alice', '["admin","approver"]', 'k1', 'p1', '{}', 't')`],
    ['models', `INSERT OR REPLACE INTO models (id, name, kind, created_at, created_by) VALUES (1, 'm', 'llm', 't', 1)`],
    ['versions', `INSERT OR REPLACE INTO versions (id, model_id, number, digest, manifest, created_at, created_by) VALUES (1, 1, 1, 'd1', '{"evil":1}', 't', 1)`],
    ['version_status', `INSERT OR REPLACE INTO version_status (version_id, state, changed_at) VALUES (1, 'validated', 't')`],
    ['components', `INSERT OR REPLACE INTO components (version_id, path, role, digest, size) VALUES (1, 'w.bin', 'weights', 'evil', 3)`],
    ['dependencies', `INSERT OR REPLACE INTO dependencies (version_id, kind, digest) VALUES (1, 'dataset', 'x')`],
    ['evaluations', `INSERT OR REPLACE INTO evaluations (id, version_id, version_digest, suite, metrics, results_digest, source, recorded_at, recorded_by) VALUES (1, 1, 'd1', 's', '{"accuracy":0.99}', 'r', 'executed', 't', 1)`],
    ['environments', `INSERT OR REPLACE INTO environments (id, name, tier, policy, secrets, created_at) VALUES (1, 'prod', 1, '{"approvals":0}', '[]', 't')`],
    ['promotions', `INSERT OR REPLACE INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (1, 1, 1, 'active', '{"gates":[]}', 'e', 0, 1, 't', 't')`],
    ['approvals', `INSERT OR REPLACE INTO approvals (id, promotion_id, user_id, decision, evidence_digest, envelope, at) VALUES (1, 1, 1, 'reject', 'e', '{}', 't')`],
    ['activations', `INSERT OR REPLACE INTO activations (id, env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, 1, 1, 1, 'later')`],
    ['reviews', `INSERT OR REPLACE INTO reviews (id, kind, subject, detail, opened_at) VALUES (1, 'rollback', 's', 'nothing to see', 't')`],
    ['audit_events', `INSERT OR REPLACE INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature) VALUES (1, 't', 'mallory', 'a', 's', '{}', 'p', 'h', 'k1', 'sig')`],
    ['hosts', `INSERT OR REPLACE INTO hosts (id, host_id, key_id, public_key, labels, facts, enrolled_at) VALUES (1, 'h', 'k2', 'p2', '{}', '{}', 't')`],
    ['deployments', `INSERT OR REPLACE INTO deployments (id, env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (1, 1, 1, 'main', 'prod', 1, 'b', '{"evil":1}', 't', 1)`],
    ['reports', `INSERT OR REPLACE INTO reports (digest, host, seq, kind, at, body, imported_at) VALUES ('r', 1, 1, 'status', 't', '{"evil":1}', 't')`],
  ];
  it.each(replaced)('refuses INSERT OR REPLACE on %s', (table, statement) => {
    const before = db.raw.prepare(`SELECT * FROM ${table}`).all();
    expect(() => db.raw.exec(statement)).toThrow(new RegExp(`IMMUTABLE: ${table} rows are never replaced`));
    expect(db.raw.prepare(`SELECT * FROM ${table}`).all()).toEqual(before);
  });

  const fixed: [string, string][] = [
    ["a user's id", 'UPDATE users SET id = 9 WHERE id = 1'],
    ['a tag', `INSERT INTO model_tags (model_id, tag) VALUES (1, 'a'); UPDATE model_tags SET tag = 'b'`],
    ["a status's version", 'UPDATE version_status SET version_id = 9'],
    ["an environment's tier", 'UPDATE environments SET tier = 0'],
    ["an environment's name", `UPDATE environments SET name = 'dev'`],
    ["an overlay's model", 'UPDATE overlays SET model_id = 9'],
    ['an overlay (deleted)', 'DELETE FROM overlays'],
    ["a review's id", 'UPDATE reviews SET id = 9'],
    ["a host's id", 'UPDATE hosts SET id = 9'],
    ["a channel's name", `UPDATE channels SET name = 'dev'`],
    ['a channel sequence going back', 'UPDATE channels SET sequence = 0'],
    ['a channel (deleted)', 'DELETE FROM channels'],
    ["a deployment target's host", 'UPDATE deployment_hosts SET host = 9'],
    ['a deployment target (deleted)', 'DELETE FROM deployment_hosts'],
  ];
  it.each(fixed)('refuses to change %s', (_what, statement) => {
    expect(() => db.raw.exec(`SAVEPOINT s; ${statement}`)).toThrow(/IMMUTABLE/);
    db.raw.exec('ROLLBACK TO s; RELEASE s');
  });

  it('still lets the upserts the registry uses through: overlays replaced, channels advanced, tags added twice', () => {
    db.raw.exec(`INSERT INTO overlays (env_id, model_id, config, updated_at) VALUES (1, 1, '{"a":1}', 't2') ON CONFLICT (env_id, model_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`);
    db.raw.exec(`INSERT INTO channels (name, sequence) VALUES ('prod', 1) ON CONFLICT (name) DO UPDATE SET sequence = sequence + 1`);
    db.raw.exec(`INSERT OR IGNORE INTO model_tags (model_id, tag) VALUES (1, 'z'); INSERT OR IGNORE INTO model_tags (model_id, tag) VALUES (1, 'z')`);
    expect(db.get(sql`SELECT config FROM overlays`)).toEqual({ config: '{"a":1}' });
    expect(db.get(sql`SELECT sequence FROM channels`)).toEqual({ sequence: 2 });
    expect(db.get(sql`SELECT count(*) AS n FROM model_tags WHERE tag = 'z'`)).toEqual({ n: 1 });
  });
});
