import { z } from 'zod';
import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const ROLES = ['admin', 'ml-engineer', 'approver', 'operator', 'auditor'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export interface UserRow {
  id: number;
  name: string;
  roles: Role[];
  key_id: string;
  public_key: string;
  key_file: string;
  created_at: string;
  disabled_at: string | null;
}

type RawUser = Omit<UserRow, 'roles'> & { roles: string };
const decode = (r: RawUser | undefined): UserRow | undefined => r && { ...r, roles: z.array(RoleSchema).parse(JSON.parse(r.roles)) };

export const users = {
  insert(db: Db, u: Omit<UserRow, 'id' | 'disabled_at'>): number {
    return Number(
      db.run(sql`INSERT INTO users (name, roles, key_id, public_key, key_file, created_at)
                 VALUES (${u.name}, ${JSON.stringify(u.roles)}, ${u.key_id}, ${u.public_key}, ${u.key_file}, ${u.created_at})`).lastInsertRowid,
    );
  },
  byName: (db: Db, name: string) => decode(db.get<RawUser>(sql`SELECT * FROM users WHERE name = ${name}`)),
  byId: (db: Db, id: number) => decode(db.get<RawUser>(sql`SELECT * FROM users WHERE id = ${id}`)),
  /** Just the public key, without decoding the row (which may be damaged). */
  keyOf: (db: Db, keyId: string) => db.get<{ public_key: string }>(sql`SELECT public_key FROM users WHERE key_id = ${keyId}`),
  byKeyId: (db: Db, keyId: string) => decode(db.get<RawUser>(sql`SELECT * FROM users WHERE key_id = ${keyId}`)),
  list: (db: Db) => db.all<RawUser>(sql`SELECT * FROM users ORDER BY name`).map((r) => decode(r)!),
  count: (db: Db) => db.get<{ n: number }>(sql`SELECT count(*) AS n FROM users`)!.n,
};
