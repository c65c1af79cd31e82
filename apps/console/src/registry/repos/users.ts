import { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';
import { sql } from '../db/sql.js';
import { storedJson } from '../db/stored.js';
import type { Db } from '../db/database.js';
import { ROLES, type Role } from '../../api/enums.js';

export const RoleSchema = z.enum(ROLES);

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

/** Roles are stored exactly as Airlock writes them (a compact JSON array); anything else was edited outside it. */
function decode(r: RawUser | undefined): UserRow | undefined {
  if (!r) return undefined;
  const roles = storedJson(r.roles, `the roles of user ${r.name}`, z.array(RoleSchema).min(1));
  if (JSON.stringify(roles) !== r.roles) throw new AirlockError('INTEGRITY_FAILED', `The roles of user ${r.name} are not stored as Airlock writes them: they were edited outside Airlock. Run \`airlock verify\`.`);
  return { ...r, roles };
}

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
  keyOf: (db: Db, keyId: string) => db.get<{ id: number; public_key: string; roles: string }>(sql`SELECT id, public_key, roles FROM users WHERE key_id = ${keyId}`),
  byKeyId: (db: Db, keyId: string) => decode(db.get<RawUser>(sql`SELECT * FROM users WHERE key_id = ${keyId}`)),
  list: (db: Db) => db.all<RawUser>(sql`SELECT * FROM users ORDER BY name`).map((r) => decode(r)!),
  disable: (db: Db, id: number, at: string) => db.run(sql`UPDATE users SET disabled_at = ${at} WHERE id = ${id} AND disabled_at IS NULL`),
  count: (db: Db) => db.get<{ n: number }>(sql`SELECT count(*) AS n FROM users`)!.n,
};
