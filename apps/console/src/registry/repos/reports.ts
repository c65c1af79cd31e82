import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface ReportRow {
  digest: string;
  host: number;
  seq: number;
  kind: string;
  at: string;
  body: string;
  imported_at: string;
  /** the DSSE envelope as the host signed it (absent for reports imported before schema 3) */
  envelope: string | null;
}

export const reports = {
  insert: (db: Db, r: ReportRow) =>
    db.run(sql`INSERT INTO reports (digest, host, seq, kind, at, body, imported_at, envelope) VALUES (${r.digest}, ${r.host}, ${r.seq}, ${r.kind}, ${r.at}, ${r.body}, ${r.imported_at}, ${r.envelope})`),
  byDigest: (db: Db, digest: string) => db.get<{ digest: string }>(sql`SELECT digest FROM reports WHERE digest = ${digest}`),
  bySeq: (db: Db, host: number, seq: number) => db.get<{ digest: string }>(sql`SELECT digest FROM reports WHERE host = ${host} AND seq = ${seq}`),
  /** The highest sequence of any report imported from this host (of any kind); 0 when there is none. */
  highestSeq: (db: Db, host: number) => db.get<{ seq: number | null }>(sql`SELECT max(seq) AS seq FROM reports WHERE host = ${host}`)!.seq ?? 0,
  newestStatus: (db: Db, host: number) => db.get<{ seq: number; body: string }>(sql`SELECT seq, body FROM reports WHERE host = ${host} AND kind = 'status' ORDER BY seq DESC LIMIT 1`),
  /** A host's newest status reports, newest first: what it said over time. */
  statusHistory: (db: Db, host: number, limit: number) => db.all<{ seq: number; at: string; body: string }>(sql`SELECT seq, at, body FROM reports WHERE host = ${host} AND kind = 'status' ORDER BY seq DESC LIMIT ${limit}`),
  /** Status report bodies, newest first per host: what each host last said it saw. */
  statuses: (db: Db) => db.all<{ host_id: string; seq: number; body: string }>(sql`SELECT h.host_id, r.seq, r.body FROM reports r JOIN hosts h ON h.id = r.host WHERE r.kind = 'status' ORDER BY r.host, r.seq DESC`),
};
