import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Db, migrate } from '../database.js';
import { sql } from '../sql.js';

function migrated(): Db {
  const db = new Db(new Database(':memory:'));
  db.raw.pragma('foreign_keys = ON');
  migrate(db, 1);
  return db;
}

/** A row in every table, so that each trigger has something to refuse. */
function seed(db: Db): void {
  db.raw.exec(`
    INSERT INTO users (id, name, roles, key_id, public_key, key_file, created_at) VALUES (1, 'alice', '["admin"]', 'k1', 'p1', '{}', 't');
    INSERT INTO models (id, name, kind, created_at, created_by) VALUES (1, 'm', 'classic', 't', 1);
    INSERT INTO versions (id, model_id, number, digest, manifest, created_at, created_by) VALUES (1, 1, 1, 'd1', '{}', 't', 1);
    INSERT INTO version_status (version_id, state, changed_at) VALUES (1, 'registered', 't');
    INSERT INTO components (version_id, path, role, digest, size) VALUES (1, 'w.bin', 'weights', 'b1', 3);
    INSERT INTO dependencies (version_id, kind, digest) VALUES (1, 'dataset', 'x');
    INSERT INTO evaluations (id, version_id, version_digest, suite, metrics, results_digest, source, recorded_at, recorded_by) VALUES (1, 1, 'd1', 's', '{}', 'r', 'record', 't', 1);
    INSERT INTO environments (id, name, tier, policy, secrets, created_at) VALUES (1, 'prod', 1, '{}', '[]', 't');
    INSERT INTO promotions (id, version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at) VALUES (1, 1, 1, 'awaiting_approval', '{}', 'e', 0, 1, 't', 't');
    INSERT INTO approvals (promotion_id, user_id, decision, evidence_digest, envelope, at) VALUES (1, 1, 'approve', 'e', '{}', 't');
    INSERT INTO activations (id, env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, 1, 1, 1, 't');
    INSERT INTO reviews (id, kind, subject, detail, opened_at) VALUES (1, 'rollback', 's', 'd', 't');
    INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature) VALUES (1, 't', 'alice', 'a', 's', '{}', 'p', 'h', 'k1', 'sig');
  `);
}

describe('migration 0001 (initial schema)', () => {
  it('creates STRICT tables and records schema version 1', () => {
    const db = migrated();
    expect(db.raw.pragma('user_version', { simple: true })).toBe(1);
    const tables = db.all<{ name: string; strict: number }>(sql`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
    expect(tables.map((t) => t.name)).toEqual([
      'activations', 'approvals', 'audit_events', 'components', 'dependencies', 'environments', 'evaluations', 'model_tags', 'models', 'overlays', 'promotions', 'reviews', 'users', 'version_status', 'versions',
    ]);
    expect(tables.every((t) => t.strict === 1)).toBe(true);
    expect(() => db.raw.exec(`INSERT INTO models (name, kind, created_at, created_by) VALUES ('x', 'c', 't', 'not-a-number')`)).toThrow(/cannot store TEXT value in INTEGER column/);
  });

  const refused: [string, string][] = [
    ['edit a version', `UPDATE versions SET manifest = '{"x":1}' WHERE id = 1`],
    ['delete a version', 'DELETE FROM versions WHERE id = 1'],
    ['edit a component', `UPDATE components SET digest = 'evil' WHERE version_id = 1`],
    ['delete a component', 'DELETE FROM components'],
    ['edit a dependency', `UPDATE dependencies SET digest = 'y'`],
    ['edit an evaluation', `UPDATE evaluations SET metrics = '{"accuracy":1}' WHERE id = 1`],
    ['delete an evaluation', 'DELETE FROM evaluations WHERE id = 1'],
    ['edit an approval', `UPDATE approvals SET decision = 'reject'`],
    ['delete an approval', 'DELETE FROM approvals'],
    ['edit an audit event', `UPDATE audit_events SET actor = 'mallory' WHERE seq = 1`],
    ['delete an audit event', 'DELETE FROM audit_events WHERE seq = 1'],
    ["change a promotion's evidence", `UPDATE promotions SET evidence = '{"gates":[]}' WHERE id = 1`],
    ["change a promotion's version", 'UPDATE promotions SET version_id = 2 WHERE id = 1'],
    ['delete a promotion', 'DELETE FROM promotions'],
    ["change an activation's version", 'UPDATE activations SET version_id = 2 WHERE id = 1'],
    ['delete an activation', 'DELETE FROM activations'],
    ["change a user's key", `UPDATE users SET public_key = 'evil' WHERE id = 1`],
    ['delete a user', 'DELETE FROM users'],
    ['rename a model', `UPDATE models SET name = 'other' WHERE id = 1`],
    ['delete a model', 'DELETE FROM models'],
    ['delete an environment', 'DELETE FROM environments'],
    ['delete a version status', 'DELETE FROM version_status'],
    ["edit a review's detail", `UPDATE reviews SET detail = 'nothing happened'`],
  ];
  it.each(refused)('refuses to %s', (_name, statement) => {
    const db = migrated();
    seed(db);
    expect(() => db.raw.exec(statement)).toThrow(/IMMUTABLE/);
  });

  it('lets the annotations and pointers move as designed', () => {
    const db = migrated();
    seed(db);
    db.raw.exec(`UPDATE models SET description = 'changed' WHERE id = 1`);
    db.raw.exec(`UPDATE version_status SET state = 'validated' WHERE version_id = 1`);
    db.raw.exec(`UPDATE promotions SET state = 'active', updated_at = 't2' WHERE id = 1`);
    db.raw.exec(`UPDATE users SET roles = '["admin","approver"]' WHERE id = 1`);
    db.raw.exec(`UPDATE activations SET ended_at = 't3', ended_by = 1 WHERE id = 1`);
    expect(() => db.raw.exec(`UPDATE activations SET ended_at = 't4' WHERE id = 1`)).toThrow(/IMMUTABLE/);
    db.raw.exec(`UPDATE reviews SET resolved_at = 't', resolved_by = 1, note = 'done' WHERE id = 1`);
    expect(() => db.raw.exec(`UPDATE reviews SET note = 'rewritten' WHERE id = 1`)).toThrow(/IMMUTABLE/);
  });

  it('never lets two activations of one model be open in one environment', () => {
    const db = migrated();
    seed(db);
    expect(() => db.raw.exec(`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (1, 1, 1, 1, 't')`)).toThrow(/UNIQUE/);
  });
});
