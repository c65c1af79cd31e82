import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { ReviewKind } from '../../api/enums.js';

export interface ReviewRow {
  id: number;
  kind: ReviewKind;
  subject: string;
  detail: string;
  opened_at: string;
  opened_by: number | null;
  resolved_at: string | null;
  resolved_by: number | null;
  note: string | null;
}

export const reviews = {
  open(db: Db, r: { kind: ReviewKind; subject: string; detail: string; opened_at: string; opened_by: number | null }): number {
    return Number(
      db.run(sql`INSERT INTO reviews (kind, subject, detail, opened_at, opened_by) VALUES (${r.kind}, ${r.subject}, ${r.detail}, ${r.opened_at}, ${r.opened_by})`).lastInsertRowid,
    );
  },
  resolve: (db: Db, id: number, by: number, at: string, note: string) =>
    db.run(sql`UPDATE reviews SET resolved_at = ${at}, resolved_by = ${by}, note = ${note} WHERE id = ${id}`),
  /** The open item of this kind about this subject, if any: alarms repeat, review items do not. */
  openFor: (db: Db, kind: ReviewKind, subject: string) =>
    db.get<ReviewRow>(sql`SELECT * FROM reviews WHERE kind = ${kind} AND subject = ${subject} AND resolved_at IS NULL ORDER BY id LIMIT 1`),
  /** The newest item of this kind about this subject, open or resolved: when it last came round. */
  latestFor: (db: Db, kind: ReviewKind, subject: string) =>
    db.get<ReviewRow>(sql`SELECT * FROM reviews WHERE kind = ${kind} AND subject = ${subject} ORDER BY id DESC LIMIT 1`),
  byId: (db: Db, id: number) => db.get<ReviewRow>(sql`SELECT * FROM reviews WHERE id = ${id}`),
  list: (db: Db, openOnly: boolean) =>
    db.all<ReviewRow>(sql`SELECT * FROM reviews WHERE (${openOnly ? 1 : 0} = 0 OR resolved_at IS NULL) ORDER BY id DESC LIMIT 500`),
};
