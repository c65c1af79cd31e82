import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

/** Where each row's newest seal is: an index into the audit chain, never trusted on its own. */
export const rowSeals = {
  set: (db: Db, table: string, key: string, seq: number) =>
    db.run(sql`INSERT INTO row_seals (tbl, key, seq) VALUES (${table}, ${key}, ${seq}) ON CONFLICT (tbl, key) DO UPDATE SET seq = excluded.seq`),
  get: (db: Db, table: string, key: string) => db.get<{ seq: number }>(sql`SELECT seq FROM row_seals WHERE tbl = ${table} AND key = ${key}`)?.seq,
};
