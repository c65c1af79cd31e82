import { AirlockError, canonicalJson, fromBase64, sha256Hex, utf8Encode } from '@airlock/shared/common';
import { eventIsGenuine } from '../audit-event.js';
import type { Registry } from '../context.js';
import type { Db } from '../db/database.js';
import { changedColumns, keyOf, keyText, readRow, sealRow, type RowKey, type RowSeal, type SealEntry } from '../db/seals.js';
import { SEALED_TABLES, TABLES, type SealedTable } from '../db/tables.js';
import { auditEvents, type AuditRow } from '../repos/audit-events.js';
import { rowSeals } from '../repos/row-seals.js';
import { users } from '../repos/users.js';
import { rootV1KeyIds } from './trust-anchor.js';

export interface RowProblem {
  table: SealedTable;
  key: RowKey;
  /** the columns that differ from the seal; empty when the whole row is at fault */
  columns: string[];
  /** the audit event whose seal the row was held to, if any */
  seq: number | null;
  message: string;
}

const describe = (table: string, key: RowKey) => `${table} row ${keyText(key)}`;

function sealsOf(e: AuditRow): Map<string, RowSeal | null> {
  return new Map((JSON.parse(e.rows) as SealEntry[]).map((r) => [`${r.table} ${keyText(r.key)}`, r.row]));
}

/**
 * The check every call that acts on a row makes before believing it: the row equals its newest seal,
 * and that seal sits in a genuine audit event — hash and signature hold, and the signer's key is one
 * the registry vouches for: the users row that holds it is itself sealed by a genuine event of an
 * admin, back to the first event, which a root key of root v1 signs. Nothing here trusts the
 * `row_seals` index or the users table on their own. Results are cached per instance (one per call).
 */
export class SealCheck {
  private readonly events = new Map<number, Map<string, RowSeal | null> | null>();
  private readonly keys = new Map<string, { publicKey: Uint8Array; admin: boolean } | null>();
  private rootKeys: ReadonlySet<string> | undefined;

  constructor(private readonly reg: Registry) {}

  /** The seals of a genuine event, or null if the event is not genuine. */
  private sealsAt(seq: number): Map<string, RowSeal | null> | null {
    if (!this.events.has(seq)) {
      this.events.set(seq, null);
      const e = seq >= 1 ? auditEvents.bySeq(this.reg.db, seq) : undefined;
      const key = e ? this.trustedKey(e) : null;
      this.events.set(seq, e && key && eventIsGenuine(e, key.publicKey) ? sealsOf(e) : null);
    }
    return this.events.get(seq)!;
  }

  /** The key that signed `e`, if the registry vouches for it; the first event's must be a root v1 key. */
  private trustedKey(e: AuditRow): { publicKey: Uint8Array; admin: boolean } | null {
    if (e.seq === 1) {
      this.rootKeys ??= rootV1KeyIds(this.reg);
      const own = this.rootKeys.has(e.key_id) ? sealsOfUsers(e).find((u) => u.key_id === e.key_id) : undefined;
      return own ? { publicKey: fromBase64(own.public_key as string), admin: true } : null;
    }
    if (!this.keys.has(e.key_id)) {
      this.keys.set(e.key_id, null); // a cycle of seals vouching for each other vouches for nothing
      const user = users.keyOf(this.reg.db, e.key_id);
      const row = user ? readRow(this.reg.db, 'users', [user.id]) : undefined;
      const holds = row && this.problem('users', [user!.id]) === null;
      const roles = holds ? (JSON.parse(row.roles as string) as string[]) : [];
      this.keys.set(e.key_id, holds ? { publicKey: fromBase64(row.public_key as string), admin: roles.includes('admin') } : null);
    }
    return this.keys.get(e.key_id)!;
  }

  problem(table: SealedTable, key: RowKey): RowProblem | null {
    return this.compare(table, key, readRow(this.reg.db, table, key));
  }

  /** Holds a row as it was before the current change (or as it is) to its newest seal. */
  compare(table: SealedTable, key: RowKey, current: Record<string, unknown> | undefined): RowProblem | null {
    const seq = rowSeals.get(this.reg.db, table, keyText(key)) ?? null;
    const at = (message: string, columns: string[] = []): RowProblem => ({ table, key, columns, seq, message: `${describe(table, key)} ${message}` });
    if (seq === null) return current ? at('was written outside Airlock: no audit event seals it.') : null;
    const seals = this.sealsAt(seq);
    if (!seals) return at(`is sealed by audit event ${seq}, which is not genuine.`);
    const sealed = seals.get(`${table} ${keyText(key)}`);
    if (sealed === undefined) return at(`is indexed to audit event ${seq}, which does not seal it.`);
    if (!current || !sealed) return current ? at(`was removed by audit event ${seq} and is back.`) : sealed ? at(`was removed behind Airlock's back (audit event ${seq} sealed it).`) : null;
    if (table === 'users' && seq > 1 && !this.sealedByAdmin(seq)) return at(`is sealed by audit event ${seq}, whose signer was not an admin.`);
    const columns = changedColumns(sealed, sealRow(current));
    return columns.length ? at(`differs from what audit event ${seq} sealed in column(s) ${columns.join(', ')}.`, columns) : null;
  }

  private sealedByAdmin(seq: number): boolean {
    const e = auditEvents.bySeq(this.reg.db, seq);
    return e ? (this.trustedKey(e)?.admin ?? false) : false;
  }

  /** Throws INTEGRITY_FAILED naming the row and columns unless each row holds. */
  assert(table: SealedTable, ...keys: RowKey[]): void {
    for (const key of keys) {
      const p = this.problem(table, key);
      if (p) throw new AirlockError('INTEGRITY_FAILED', `${p.message} Run \`airlock verify\`; nothing was changed.`, { table, key, columns: p.columns });
    }
  }
}

function sealsOfUsers(e: AuditRow): RowSeal[] {
  try {
    return (JSON.parse(e.rows) as SealEntry[]).filter((r) => r.table === 'users' && r.row).map((r) => r.row!);
  } catch {
    return [];
  }
}

const digest16 = (v: unknown) => sha256Hex(utf8Encode(canonicalJson(v))).slice(0, 32);

/** What the ledger keeps per row: a digest of the whole sealed row and of the columns that never change. */
interface Held {
  seq: number;
  full: string | null;
  fixed: string | null;
  settled: boolean;
}

const fixedPart = (table: SealedTable, row: RowSeal) => Object.fromEntries(Object.entries(row).filter(([c]) => !TABLES[table].mutable.includes(c)));
const settledPart = (table: SealedTable, row: RowSeal) => TABLES[table].mutable.some((c) => row[c] !== null && row[c] !== undefined);

/**
 * `airlock verify`'s row check: replays every seal in chain order, holding each table to its rule in
 * `tables.ts`, then compares every row in the database with its newest seal. Memory is a pair of short
 * digests per row; columns are named by re-reading the one event involved.
 */
export class SealLedger {
  private readonly held = new Map<string, Held>();
  readonly problems: RowProblem[] = [];

  /** Call for each genuine event, in chain order. */
  visit(e: AuditRow): void {
    if (e.rows === '[]') return;
    for (const s of JSON.parse(e.rows) as SealEntry[]) {
      const rule = TABLES[s.table];
      if (!rule) {
        this.problems.push({ table: s.table, key: s.key, columns: [], seq: e.seq, message: `Audit event ${e.seq} seals a row of ${s.table}, which is not a registry table.` });
        continue;
      }
      const id = `${s.table} ${keyText(s.key)}`;
      const before = this.held.get(id);
      const bad = (why: string) => this.problems.push({ table: s.table, key: s.key, columns: [], seq: e.seq, message: `${describe(s.table, s.key)}: audit event ${e.seq} ${why}` });
      if (before?.full != null) {
        if (rule.kind === 'write-once') bad('rewrites a write-once row.');
        else if (s.row === null && !rule.deletable) bad('removes a row that is never removed.');
        else if (s.row && digest16(fixedPart(s.table, s.row)) !== before.fixed) bad('changes columns that never change.');
        else if (s.row && rule.settles && before.settled && digest16(s.row) !== before.full) bad('changes a row that had already settled.');
      }
      this.held.set(id, s.row ? { seq: e.seq, full: digest16(s.row), fixed: digest16(fixedPart(s.table, s.row)), settled: settledPart(s.table, s.row) } : { seq: e.seq, full: null, fixed: null, settled: false });
    }
  }

  /** Compares the database with the seals; call after the whole chain was visited. */
  finish(db: Db): RowProblem[] {
    for (const table of SEALED_TABLES) {
      for (const row of db.raw.prepare(`SELECT * FROM ${table}`).iterate() as IterableIterator<Record<string, unknown>>) {
        const key = keyOf(table, row);
        const id = `${table} ${keyText(key)}`;
        const h = this.held.get(id);
        this.held.delete(id);
        const seal = sealRow(row);
        if (!h) this.problems.push({ table, key, columns: [], seq: null, message: `${describe(table, key)} was written outside Airlock: no audit event seals it.` });
        else if (h.full === null) this.problems.push({ table, key, columns: [], seq: h.seq, message: `${describe(table, key)} was removed by audit event ${h.seq} and is back.` });
        else if (digest16(seal) !== h.full) {
          const sealed = sealsOf(auditEvents.bySeq(db, h.seq)!).get(id)!;
          const columns = changedColumns(sealed, seal);
          this.problems.push({ table, key, columns, seq: h.seq, message: `${describe(table, key)} differs from what audit event ${h.seq} sealed in column(s) ${columns.join(', ')}.` });
        }
      }
    }
    for (const [id, h] of this.held) {
      if (h.full === null) continue;
      const [table, key] = [id.slice(0, id.indexOf(' ')) as SealedTable, JSON.parse(id.slice(id.indexOf(' ') + 1)) as RowKey];
      this.problems.push({ table, key, columns: [], seq: h.seq, message: `${describe(table, key)} was removed behind Airlock's back (audit event ${h.seq} sealed it).` });
    }
    return this.problems;
  }
}
