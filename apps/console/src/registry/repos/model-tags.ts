import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const modelTags = {
  add: (db: Db, modelId: number, tag: string) => db.run(sql`INSERT OR IGNORE INTO model_tags (model_id, tag) VALUES (${modelId}, ${tag})`),
  remove: (db: Db, modelId: number, tag: string) => db.run(sql`DELETE FROM model_tags WHERE model_id = ${modelId} AND tag = ${tag}`),
  of: (db: Db, modelId: number) => db.all<{ tag: string }>(sql`SELECT tag FROM model_tags WHERE model_id = ${modelId} ORDER BY tag`).map((r) => r.tag),
};
