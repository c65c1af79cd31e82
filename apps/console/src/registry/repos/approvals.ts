import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface ApprovalRow {
  id: number;
  promotion_id: number;
  user_id: number;
  decision: 'approve' | 'reject';
  evidence_digest: string;
  envelope: string;
  at: string;
}

export const approvals = {
  insert: (db: Db, a: Omit<ApprovalRow, 'id'>) =>
    db.run(sql`INSERT INTO approvals (promotion_id, user_id, decision, evidence_digest, envelope, at)
               VALUES (${a.promotion_id}, ${a.user_id}, ${a.decision}, ${a.evidence_digest}, ${a.envelope}, ${a.at})`),
  of: (db: Db, promotionId: number) =>
    db.all<ApprovalRow & { approver: string }>(sql`SELECT a.*, u.name AS approver FROM approvals a JOIN users u ON u.id = a.user_id WHERE promotion_id = ${promotionId} ORDER BY a.id`),
};
