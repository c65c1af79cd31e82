import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface ActivationRow {
  id: number;
  env_id: number;
  model_id: number;
  version_id: number;
  promotion_id: number;
  activated_at: string;
  ended_at: string | null;
  ended_by: number | null;
}

export const activations = {
  current: (db: Db, envId: number, modelId: number) =>
    db.get<ActivationRow>(sql`SELECT * FROM activations WHERE env_id = ${envId} AND model_id = ${modelId} AND ended_at IS NULL`),
  history: (db: Db, envId: number, modelId: number) =>
    db.all<ActivationRow>(sql`SELECT * FROM activations WHERE env_id = ${envId} AND model_id = ${modelId} ORDER BY id DESC`),
  ofVersion: (db: Db, versionId: number) => db.all<ActivationRow>(sql`SELECT * FROM activations WHERE version_id = ${versionId} ORDER BY id`),
  end: (db: Db, id: number, at: string, byPromotion: number) => db.run(sql`UPDATE activations SET ended_at = ${at}, ended_by = ${byPromotion} WHERE id = ${id}`),
  insert: (db: Db, a: Omit<ActivationRow, 'id' | 'ended_at' | 'ended_by'>) =>
    db.run(sql`INSERT INTO activations (env_id, model_id, version_id, promotion_id, activated_at) VALUES (${a.env_id}, ${a.model_id}, ${a.version_id}, ${a.promotion_id}, ${a.activated_at})`),
  /** What is active where, for one model or all. */
  active: (db: Db, modelId?: number) =>
    db.all<{ environment: string; model: string; number: number; digest: string; activated_at: string }>(sql`
      SELECT e.name AS environment, m.name AS model, v.number AS number, v.digest AS digest, a.activated_at AS activated_at
      FROM activations a JOIN environments e ON e.id = a.env_id JOIN versions v ON v.id = a.version_id JOIN models m ON m.id = a.model_id
      WHERE a.ended_at IS NULL AND (${modelId ?? null} IS NULL OR a.model_id = ${modelId ?? null}) ORDER BY e.tier, e.name, m.name`),
  /** Every open activation with its environment's and version's names. */
  open: (db: Db) =>
    db.all<ActivationRow & { environment: string; model: string; number: number }>(sql`
      SELECT a.*, e.name AS environment, m.name AS model, v.number AS number
      FROM activations a JOIN environments e ON e.id = a.env_id JOIN versions v ON v.id = a.version_id JOIN models m ON m.id = a.model_id
      WHERE a.ended_at IS NULL ORDER BY e.tier, e.name, m.name`),
};
