import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { LATEST_SCHEMA_VERSION, openDatabase } from './database.js';
import { join as joinSql, sql } from './sql.js';

const tempDir = useTempDirs();

describe('registry database', () => {
  it('opens in WAL mode with foreign keys, migrated to the latest schema', async () => {
    const db = openDatabase(join(await tempDir(), 'r.sqlite'), { create: true });
    expect(db.raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database from a newer Airlock and leaves it untouched', async () => {
    const path = join(await tempDir(), 'r.sqlite');
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.exec('CREATE TABLE future (x INTEGER)');
    raw.close();
    expect(() => openDatabase(path)).toThrow(expect.objectContaining({ code: 'REGISTRY_TOO_NEW' }));
    const again = new Database(path);
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 1);
    again.close();
  });

  it('refuses to open a registry that does not exist unless asked to create it', async () => {
    const dir = await tempDir();
    expect(() => openDatabase(join(dir, 'missing.sqlite'))).toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
  });
});

describe('sql template', () => {
  it('turns every value into a parameter, including in nested fragments', () => {
    const name = "x'; DROP TABLE users; --";
    const q = sql`SELECT * FROM t WHERE a = ${name} AND ${joinSql([sql`b = ${1}`, sql`c = ${null}`], ' OR ')}`;
    expect(q.text).toBe('SELECT * FROM t WHERE a = ? AND b = ? OR c = ?');
    expect(q.values).toEqual([name, 1, null]);
  });

  it('stores hostile strings as data', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT)');
    const evil = "'); DROP TABLE t; --";
    const q = sql`INSERT INTO t (v) VALUES (${evil})`;
    db.prepare(q.text).run(...q.values);
    expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: evil });
  });
});
