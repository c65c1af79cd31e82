import { join, sql, type Sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
  key_id: string;
  signature: string;
  /** canonical JSON of the seals of the rows this event's change wrote ('[]' for none) */
  rows: string;
}

/** Which events to list, newest first: each given field narrows it; `before` pages back by sequence number. */
export interface AuditFilter {
  subject?: string;
  actor?: string;
  action?: string;
  /** ISO time, inclusive */
  since?: string;
  /** ISO time, exclusive */
  until?: string;
  before?: number;
}

export const auditEvents = {
  insert: (db: Db, e: AuditRow) =>
    db.run(sql`INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, rows)
               VALUES (${e.seq}, ${e.at}, ${e.actor}, ${e.action}, ${e.subject}, ${e.details}, ${e.prev_hash}, ${e.hash}, ${e.key_id}, ${e.signature}, ${e.rows})`),
  bySeq: (db: Db, seq: number) => db.get<AuditRow>(sql`SELECT * FROM audit_events WHERE seq = ${seq}`),
  last: (db: Db) => db.get<AuditRow>(sql`SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1`),
  page: (db: Db, afterSeq: number, limit: number) => db.all<AuditRow>(sql`SELECT * FROM audit_events WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`),
  /** Newest first; each filter is its own indexed condition (no `? IS NULL OR …`, which defeats the index). */
  recent(db: Db, filter: AuditFilter & { limit: number }): AuditRow[] {
    const where: Sql[] = [];
    if (filter.subject) where.push(sql`subject = ${filter.subject}`);
    if (filter.actor) where.push(sql`actor = ${filter.actor}`);
    if (filter.action) where.push(sql`action = ${filter.action}`);
    if (filter.since) where.push(sql`at >= ${filter.since}`);
    if (filter.until) where.push(sql`at < ${filter.until}`);
    if (filter.before) where.push(sql`seq < ${filter.before}`);
    const clause = where.length > 0 ? sql`WHERE ${join(where, ' AND ')}` : sql``;
    return db.all<AuditRow>(sql`SELECT * FROM audit_events ${clause} ORDER BY seq DESC LIMIT ${filter.limit}`);
  },
};
