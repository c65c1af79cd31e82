import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface RetrainingRow {
  id: number;
  version_id: number;
  review_id: number;
  reason: string;
  requested_at: string;
  requested_by: number;
}

export const retraining = {
  insert: (db: Db, r: Omit<RetrainingRow, 'id'>) =>
    Number(db.run(sql`INSERT INTO retraining_requests (version_id, review_id, reason, requested_at, requested_by) VALUES (${r.version_id}, ${r.review_id}, ${r.reason}, ${r.requested_at}, ${r.requested_by})`).lastInsertRowid),
  /** Requests for the versions of one model (or every model), newest first, with who asked. */
  list: (db: Db, modelId: number | null) =>
    db.all<RetrainingRow & { model: string; number: number; requester: string }>(sql`
      SELECT r.*, m.name AS model, v.number, u.name AS requester FROM retraining_requests r
      JOIN versions v ON v.id = r.version_id JOIN models m ON m.id = v.model_id JOIN users u ON u.id = r.requested_by
      WHERE (${modelId} IS NULL OR v.model_id = ${modelId}) ORDER BY r.id DESC LIMIT 500`),
};
