import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const overlays = {
  get: (db: Db, envId: number, modelId: number) =>
    db.get<{ config: string; updated_at: string }>(sql`SELECT config, updated_at FROM overlays WHERE env_id = ${envId} AND model_id = ${modelId}`),
  set: (db: Db, envId: number, modelId: number, config: string, at: string) =>
    db.run(sql`INSERT INTO overlays (env_id, model_id, config, updated_at) VALUES (${envId}, ${modelId}, ${config}, ${at})
               ON CONFLICT (env_id, model_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`),
};
