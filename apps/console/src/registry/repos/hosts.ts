import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export interface HostRow {
  id: number;
  host_id: string;
  key_id: string;
  public_key: string;
  env_id: number | null;
  labels: string;
  facts: string;
  enrolled_at: string;
  revoked_at: string | null;
  last_seen: string | null;
  last_status: string | null;
}

export const hosts = {
  insert(db: Db, h: Pick<HostRow, 'host_id' | 'key_id' | 'public_key' | 'labels' | 'facts' | 'enrolled_at'>): number {
    return Number(
      db.run(sql`INSERT INTO hosts (host_id, key_id, public_key, labels, facts, enrolled_at) VALUES (${h.host_id}, ${h.key_id}, ${h.public_key}, ${h.labels}, ${h.facts}, ${h.enrolled_at})`).lastInsertRowid,
    );
  },
  /** The current (not revoked) host with this id. */
  active: (db: Db, hostId: string) => db.get<HostRow>(sql`SELECT * FROM hosts WHERE host_id = ${hostId} AND revoked_at IS NULL`),
  byHostId: (db: Db, hostId: string) => db.get<HostRow>(sql`SELECT * FROM hosts WHERE host_id = ${hostId} ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1`),
  inEnv: (db: Db, envId: number) => db.all<HostRow>(sql`SELECT * FROM hosts WHERE env_id = ${envId} AND revoked_at IS NULL ORDER BY host_id`),
  list: (db: Db) => db.all<HostRow & { environment: string | null }>(sql`SELECT h.*, e.name AS environment FROM hosts h LEFT JOIN environments e ON e.id = h.env_id WHERE h.revoked_at IS NULL ORDER BY h.host_id`),
  assign: (db: Db, id: number, envId: number, labels: string) => db.run(sql`UPDATE hosts SET env_id = ${envId}, labels = ${labels} WHERE id = ${id}`),
  facts: (db: Db, id: number, facts: string) => db.run(sql`UPDATE hosts SET facts = ${facts} WHERE id = ${id}`),
  revoke: (db: Db, id: number, at: string) => db.run(sql`UPDATE hosts SET revoked_at = ${at} WHERE id = ${id}`),
  seen: (db: Db, id: number, at: string, status: string | null) =>
    db.run(sql`UPDATE hosts SET last_seen = max(coalesce(last_seen, ''), ${at}), last_status = coalesce(${status}, last_status) WHERE id = ${id}`),
};
