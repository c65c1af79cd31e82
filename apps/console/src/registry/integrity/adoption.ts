import type { Registry } from '../context.js';
import { sql } from '../db/sql.js';

/** A registry whose chain began before Airlock sealed rows (schema 2 and earlier) and was not adopted yet. */
export function needsAdoption(reg: Registry): boolean {
  const first = reg.db.get<{ rows: string }>(sql`SELECT rows FROM audit_events WHERE seq = 1`);
  return first !== undefined && first.rows === '[]' && reg.db.get(sql`SELECT 1 AS x FROM audit_events WHERE action = 'registry.adopt'`) === undefined;
}
