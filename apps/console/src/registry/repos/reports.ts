import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const reports = {
  /** Inserts a report unless the same one is already there; returns whether it was new. */
  insert: (db: Db, r: { digest: string; host: number; seq: number; kind: string; at: string; body: string; imported_at: string }) =>
    db.run(sql`INSERT OR IGNORE INTO reports (digest, host, seq, kind, at, body, imported_at) VALUES (${r.digest}, ${r.host}, ${r.seq}, ${r.kind}, ${r.at}, ${r.body}, ${r.imported_at})`).changes === 1,
  byDigest: (db: Db, digest: string) => db.get<{ digest: string }>(sql`SELECT digest FROM reports WHERE digest = ${digest}`),
  bySeq: (db: Db, host: number, seq: number) => db.get<{ digest: string }>(sql`SELECT digest FROM reports WHERE host = ${host} AND seq = ${seq}`),
};
