import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { VersionState } from '../../api/enums.js';

export interface VersionRow {
  id: number;
  model_id: number;
  number: number;
  digest: string;
  manifest: string;
  created_at: string;
  created_by: number;
}

/** A version with its model's name and its current lifecycle state, as most callers want it. */
export interface VersionView extends VersionRow {
  model: string;
  kind: string;
  state: VersionState;
  flag: string | null;
}

const VIEW = sql`SELECT v.*, m.name AS model, m.kind AS kind, s.state AS state, s.flag AS flag
  FROM versions v JOIN models m ON m.id = v.model_id JOIN version_status s ON s.version_id = v.id`;

export const versions = {
  insert(db: Db, v: Omit<VersionRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO versions (model_id, number, digest, manifest, created_at, created_by)
                 VALUES (${v.model_id}, ${v.number}, ${v.digest}, ${v.manifest}, ${v.created_at}, ${v.created_by})`).lastInsertRowid,
    );
  },
  nextNumber: (db: Db, modelId: number) => (db.get<{ n: number | null }>(sql`SELECT max(number) AS n FROM versions WHERE model_id = ${modelId}`)!.n ?? 0) + 1,
  byDigest: (db: Db, digest: string) => db.get<VersionView>(sql`${VIEW} WHERE v.digest = ${digest}`),
  byId: (db: Db, id: number) => db.get<VersionView>(sql`${VIEW} WHERE v.id = ${id}`),
  byNumber: (db: Db, model: string, number: number) => db.get<VersionView>(sql`${VIEW} WHERE m.name = ${model} AND v.number = ${number}`),
  latest: (db: Db, model: string) => db.get<VersionView>(sql`${VIEW} WHERE m.name = ${model} ORDER BY v.number DESC LIMIT 1`),
  ofModel: (db: Db, modelId: number) => db.all<VersionView>(sql`${VIEW} WHERE v.model_id = ${modelId} ORDER BY v.number`),
  all: (db: Db) => db.all<VersionView>(sql`${VIEW} ORDER BY v.id`),
};
