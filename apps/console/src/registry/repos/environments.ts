import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface EnvironmentRow {
  id: number;
  name: string;
  tier: number;
  policy: string;
  secrets: string;
  created_at: string;
}

export const environments = {
  insert(db: Db, e: Omit<EnvironmentRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO environments (name, tier, policy, secrets, created_at) VALUES (${e.name}, ${e.tier}, ${e.policy}, ${e.secrets}, ${e.created_at})`).lastInsertRowid,
    );
  },
  byName: (db: Db, name: string) => db.get<EnvironmentRow>(sql`SELECT * FROM environments WHERE name = ${name}`),
  byId: (db: Db, id: number) => db.get<EnvironmentRow>(sql`SELECT * FROM environments WHERE id = ${id}`),
  ofTier: (db: Db, tier: number) => db.all<EnvironmentRow>(sql`SELECT * FROM environments WHERE tier = ${tier} ORDER BY name`),
  list: (db: Db) => db.all<EnvironmentRow>(sql`SELECT * FROM environments ORDER BY tier, name`),
  setPolicy: (db: Db, id: number, policy: string) => db.run(sql`UPDATE environments SET policy = ${policy} WHERE id = ${id}`),
  setSecrets: (db: Db, id: number, secrets: string) => db.run(sql`UPDATE environments SET secrets = ${secrets} WHERE id = ${id}`),
};
