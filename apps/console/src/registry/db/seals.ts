import { AirlockError, canonicalJson, sha256Hex, utf8Encode } from '@airlock/shared/common';
import type { Db } from './database.js';
import { sql } from './sql.js';
import { SEALED_TABLES, TABLES, type SealedTable } from './tables.js';

/**
 * Row seals: what each change wrote, recorded in the signed audit event of that change.
 *
 * Temporary triggers (this connection only, created at open) note the key of every row an INSERT,
 * UPDATE or DELETE touches; `mutate` turns the noted rows into seals and puts them in its audit event.
 * A seal holds each column's value, or the SHA-256 of values longer than 64 characters, so that a
 * check can name the column that no longer matches without the event carrying whole manifests.
 */
export type SealValue = string | number | null | { sha256: string };
export type RowSeal = Record<string, SealValue>;
export type RowKey = (string | number)[];

export interface SealEntry {
  table: SealedTable;
  key: RowKey;
  /** the row as the change left it; null: the change removed it */
  row: RowSeal | null;
  /** for a row that existed before the change: the audit event whose seal the change built on */
  prior?: number;
}

const INLINE_MAX = 64;

export function sealRow(row: Record<string, unknown>): RowSeal {
  const out: RowSeal = {};
  for (const [col, v] of Object.entries(row)) {
    if (v === null || typeof v === 'number') out[col] = v;
    else if (typeof v === 'bigint') out[col] = Number(v);
    else if (typeof v === 'string') out[col] = v.length > INLINE_MAX ? { sha256: sha256Hex(utf8Encode(v)) } : v;
    else throw new AirlockError('INTERNAL', `Column ${col} holds a ${typeof v}, which the registry never stores.`);
  }
  return out;
}

/** Canonical text of a row's key, the same whoever computes it. */
export const keyText = (key: RowKey): string => canonicalJson(key);
export const keyOf = (table: SealedTable, row: Record<string, unknown>): RowKey => TABLES[table].key.map((c) => row[c] as string | number);

/** The columns whose sealed and current values differ. */
export function changedColumns(a: RowSeal, b: RowSeal): string[] {
  const cols = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return cols.filter((c) => canonicalJson(a[c] ?? null) !== canonicalJson(b[c] ?? null));
}

export function readRow(db: Db, table: SealedTable, key: RowKey): Record<string, unknown> | undefined {
  const where = TABLES[table].key.map((c) => `${c} = ?`).join(' AND ');
  return db.get<Record<string, unknown>>({ text: `SELECT * FROM ${table} WHERE ${where}`, values: key });
}

/**
 * Creates this connection's change notes and their triggers: for each row a statement touches, its key
 * and its image before the statement (none for an insert). Call once per connection, after migrating.
 */
export function installSealTriggers(db: Db): void {
  // No unique key: a trigger's OR IGNORE would be overridden by an outer statement's conflict clause.
  const statements = ['CREATE TEMP TABLE IF NOT EXISTS changed_rows (tbl TEXT NOT NULL, key TEXT NOT NULL, old TEXT);'];
  for (const table of SEALED_TABLES) {
    const columns = db.all<{ name: string }>(sql`SELECT name FROM pragma_table_info(${table})`).map((c) => c.name);
    const key = (row: 'NEW' | 'OLD') => `json_array(${TABLES[table].key.map((c) => `${row}.${c}`).join(', ')})`;
    const image = `json_object(${columns.map((c) => `'${c}', OLD.${c}`).join(', ')})`;
    const note = (row: 'NEW' | 'OLD', old: string) => `INSERT INTO temp.changed_rows (tbl, key, old) VALUES ('${table}', ${key(row)}, ${old});`;
    statements.push(
      `CREATE TEMP TRIGGER IF NOT EXISTS seal_insert_${table} AFTER INSERT ON main.${table} BEGIN ${note('NEW', 'NULL')} END;`,
      `CREATE TEMP TRIGGER IF NOT EXISTS seal_update_${table} AFTER UPDATE ON main.${table} BEGIN ${note('OLD', image)} ${note('NEW', image)} END;`,
      `CREATE TEMP TRIGGER IF NOT EXISTS seal_delete_${table} AFTER DELETE ON main.${table} BEGIN ${note('OLD', image)} END;`,
    );
  }
  db.raw.exec(statements.join('\n'));
}

export const pendingChanges = (db: Db): number => db.get<{ n: number }>(sql`SELECT count(*) AS n FROM temp.changed_rows`)!.n;

export interface Written {
  /** the seals of every row the change wrote */
  seals: SealEntry[];
  /** each updated or removed row as it was before the change: it must still match its seal */
  before: { table: SealedTable; key: RowKey; row: Record<string, unknown> }[];
}

/** Seals every row written since the last call and forgets the notes. Call inside the writing transaction. */
export function takeSeals(db: Db): Written {
  const noted = db.all<{ tbl: SealedTable; key: string; old: string | null }>(sql`SELECT tbl, key, old FROM temp.changed_rows ORDER BY rowid`);
  db.run(sql`DELETE FROM temp.changed_rows`);
  const first = new Map<string, { tbl: SealedTable; key: string; old: string | null }>();
  for (const n of noted) if (!first.has(`${n.tbl} ${n.key}`)) first.set(`${n.tbl} ${n.key}`, n);
  const notes = [...first.values()].sort((a, b) => (a.tbl === b.tbl ? (a.key < b.key ? -1 : 1) : a.tbl < b.tbl ? -1 : 1));
  const seals = notes.map(({ tbl, key }) => {
    const k = JSON.parse(key) as RowKey;
    const row = readRow(db, tbl, k);
    return { table: tbl, key: k, row: row ? sealRow(row) : null };
  });
  const before = notes.filter((n) => n.old !== null).map((n) => ({ table: n.tbl, key: JSON.parse(n.key) as RowKey, row: JSON.parse(n.old!) as Record<string, unknown> }));
  return { seals, before };
}

/** Notes every row of every table as written by the current change: adopting a registry seals them all. */
export function noteAllRows(db: Db): void {
  // Every row is sealed as new, so whatever this change noted before (adoption's own tidying) is subsumed.
  db.raw.exec('DELETE FROM temp.changed_rows');
  for (const table of SEALED_TABLES) {
    db.raw.exec(`INSERT INTO temp.changed_rows (tbl, key, old) SELECT '${table}', json_array(${TABLES[table].key.join(', ')}), NULL FROM main.${table}`);
  }
}
