import { join, sql, type Sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { PromotionState } from '../../api/enums.js';


export interface PromotionRow {
  id: number;
  version_id: number;
  env_id: number;
  state: PromotionState;
  evidence: string;
  evidence_digest: string;
  break_glass: number;
  requested_by: number;
  requested_at: string;
  updated_at: string;
}

export interface PromotionView extends PromotionRow {
  model: string;
  number: number;
  digest: string;
  environment: string;
  requester: string;
}

const VIEW = sql`SELECT p.*, m.name AS model, v.number AS number, v.digest AS digest, e.name AS environment, u.name AS requester
  FROM promotions p JOIN versions v ON v.id = p.version_id JOIN models m ON m.id = v.model_id
  JOIN environments e ON e.id = p.env_id JOIN users u ON u.id = p.requested_by`;

export const promotions = {
  insert(db: Db, p: Omit<PromotionRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO promotions (version_id, env_id, state, evidence, evidence_digest, break_glass, requested_by, requested_at, updated_at)
                 VALUES (${p.version_id}, ${p.env_id}, ${p.state}, ${p.evidence}, ${p.evidence_digest}, ${p.break_glass}, ${p.requested_by}, ${p.requested_at}, ${p.updated_at})`).lastInsertRowid,
    );
  },
  setState: (db: Db, id: number, state: PromotionState, at: string) => db.run(sql`UPDATE promotions SET state = ${state}, updated_at = ${at} WHERE id = ${id}`),
  byId: (db: Db, id: number) => db.get<PromotionView>(sql`${VIEW} WHERE p.id = ${id}`),
  list(db: Db, filter: { env?: string; model?: string; open?: boolean } = {}): PromotionView[] {
    const where: Sql[] = [];
    if (filter.env) where.push(sql`e.name = ${filter.env}`);
    if (filter.model) where.push(sql`m.name = ${filter.model}`);
    if (filter.open) where.push(sql`p.state IN ('requested', 'awaiting_approval', 'approved')`);
    return db.all<PromotionView>(sql`${VIEW} ${where.length ? sql`WHERE ${join(where, ' AND ')}` : sql``} ORDER BY p.id DESC LIMIT 500`);
  },
  /** Open requests for the same version in the same environment. */
  openFor: (db: Db, versionId: number, envId: number) =>
    db.all<PromotionRow>(sql`SELECT * FROM promotions WHERE version_id = ${versionId} AND env_id = ${envId} AND state IN ('requested', 'awaiting_approval', 'approved')`),
};
