import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Db, migrate } from '../database.js';

describe('migration 0002 (fleet)', () => {
  const db = new Db(new Database(':memory:'));
  migrate(db, 1);
  db.raw.exec(`INSERT INTO users (id, name, roles, key_id, public_key, key_file, created_at) VALUES (1, 'a', '[]', 'k', 'p', '{}', 't');
    INSERT INTO models (id, name, kind, created_at, created_by) VALUES (1, 'm', 'classic', 't', 1);
    INSERT INTO versions (id, model_id, number, digest, manifest, created_at, created_by) VALUES (1, 1, 1, 'd', '{}', 't', 1);
    INSERT INTO environments (id, name, tier, policy, secrets, created_at) VALUES (1, 'prod', 1, '{}', '[]', 't');`);
  migrate(db, 2);
  db.raw.exec(`INSERT INTO hosts (id, host_id, key_id, public_key, labels, facts, enrolled_at) VALUES (1, 'h', 'k', 'p', '{}', '{}', 't');
    INSERT INTO deployments (id, env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (1, 1, 1, 'main', 'prod', 1, 'b', '{}', 't', 1);
    INSERT INTO reports (digest, host, seq, kind, at, body, imported_at) VALUES ('r', 1, 1, 'status', 't', '{}', 't');`);

  it('migrates a version-1 database in place and records version 2, keeping every version-1 row', () => {
    expect(db.raw.pragma('user_version', { simple: true })).toBe(2);
    expect(db.raw.prepare('SELECT name FROM users').all()).toEqual([{ name: 'a' }]);
    expect(db.raw.prepare('SELECT digest FROM versions').all()).toEqual([{ digest: 'd' }]);
    expect(db.raw.prepare('SELECT name, tier FROM environments').all()).toEqual([{ name: 'prod', tier: 1 }]);
  });

  it.each([
    ['hosts', 'id host_id key_id public_key env_id labels facts enrolled_at revoked_at last_seen last_status'],
    ['channels', 'name sequence'],
    ['deployments', 'id env_id version_id slot channel sequence bundle_id manifest created_at created_by'],
    ['deployment_hosts', 'deployment_id host state code updated_at'],
    ['reports', 'digest host seq kind at body imported_at'],
  ])('creates %s as a STRICT table with exactly its columns', (table, columns) => {
    expect(db.raw.prepare(`SELECT name FROM pragma_table_info(?)`).all(table).map((c) => (c as { name: string }).name)).toEqual(columns.split(' '));
    expect(db.raw.prepare('SELECT strict FROM pragma_table_list WHERE name = ?').get(table)).toEqual({ strict: 1 });
  });

  it('allows one active host per host id, and a host id again once the old one is revoked', () => {
    expect(() => db.raw.exec(`INSERT INTO hosts (host_id, key_id, public_key, labels, facts, enrolled_at) VALUES ('h', 'k2', 'p2', '{}', '{}', 't')`)).toThrow(/UNIQUE/);
    db.raw.exec(`INSERT INTO hosts (host_id, key_id, public_key, labels, facts, enrolled_at, revoked_at) VALUES ('h', 'k0', 'p0', '{}', '{}', 't', 't')`);
    expect(db.raw.prepare(`SELECT count(*) AS n FROM hosts WHERE host_id = 'h'`).get()).toEqual({ n: 2 });
  });

  it.each([
    ["change a host's key", `UPDATE hosts SET public_key = 'evil'`],
    ['delete a host', 'DELETE FROM hosts'],
    ['edit a deployment', `UPDATE deployments SET manifest = '{"x":1}'`],
    ['delete a deployment', 'DELETE FROM deployments'],
    ['edit a report', `UPDATE reports SET body = '{}'`],
    ['delete a report', 'DELETE FROM reports'],
  ])('refuses to %s', (_name, statement) => {
    expect(() => db.raw.exec(statement)).toThrow(/IMMUTABLE/);
  });

  it('refuses a second deployment with the same channel sequence and a duplicate report sequence', () => {
    expect(() => db.raw.exec(`INSERT INTO deployments (env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by) VALUES (1, 1, 'main', 'prod', 1, 'b2', '{}', 't', 1)`)).toThrow(/UNIQUE/);
    expect(() => db.raw.exec(`INSERT INTO reports (digest, host, seq, kind, at, body, imported_at) VALUES ('r2', 1, 1, 'status', 't', '{}', 't')`)).toThrow(/UNIQUE/);
  });
});
