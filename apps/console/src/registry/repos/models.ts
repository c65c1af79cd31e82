import { sql, join } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { Sql } from '../db/sql.js';

export interface ModelRow {
  id: number;
  name: string;
  kind: string;
  description: string;
  created_at: string;
  created_by: number;
}

export interface ModelListRow extends ModelRow {
  versions: number;
  latest: number | null;
  tags: string | null;
}

/** The smallest string greater than every string starting with `prefix` (for index range scans). */
const afterPrefix = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

export const models = {
  insert(db: Db, m: Omit<ModelRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO models (name, kind, description, created_at, created_by)
                 VALUES (${m.name}, ${m.kind}, ${m.description}, ${m.created_at}, ${m.created_by})`).lastInsertRowid,
    );
  },
  byName: (db: Db, name: string) => db.get<ModelRow>(sql`SELECT * FROM models WHERE name = ${name}`),
  byId: (db: Db, id: number) => db.get<ModelRow>(sql`SELECT * FROM models WHERE id = ${id}`),
  setDescription: (db: Db, id: number, description: string) => db.run(sql`UPDATE models SET description = ${description} WHERE id = ${id}`),

  /** Models by optional name prefix and tag, with their version count and latest number. */
  list(db: Db, filter: { prefix?: string; tag?: string; limit?: number; offset?: number } = {}): ModelListRow[] {
    const where: Sql[] = [];
    if (filter.prefix) where.push(sql`m.name >= ${filter.prefix} AND m.name < ${afterPrefix(filter.prefix)}`);
    if (filter.tag) where.push(sql`m.id IN (SELECT model_id FROM model_tags WHERE tag = ${filter.tag})`);
    const clause = where.length > 0 ? sql`WHERE ${join(where, ' AND ')}` : sql``;
    return db.all<ModelListRow>(sql`
      SELECT m.*,
        (SELECT count(*) FROM versions v WHERE v.model_id = m.id) AS versions,
        (SELECT max(number) FROM versions v WHERE v.model_id = m.id) AS latest,
        (SELECT group_concat(tag, ',') FROM model_tags t WHERE t.model_id = m.id) AS tags
      FROM models m ${clause} ORDER BY m.name LIMIT ${filter.limit ?? 1000} OFFSET ${filter.offset ?? 0}`);
  },
};
