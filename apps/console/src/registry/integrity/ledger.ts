import { canonicalJson, sha256Hex, utf8Encode } from '@airlock/shared/common';
import type { Signer } from '../audit.js';
import { PERMISSIONS, type Permission } from '../../api/permissions.js';
import type { Db } from '../db/database.js';
import { changedColumns, keyOf, keyText, sealRow, type RowKey, type RowSeal, type SealEntry } from '../db/seals.js';
import { SEALED_TABLES, TABLES, type SealedTable } from '../db/tables.js';
import { auditEvents, type AuditRow } from '../repos/audit-events.js';
import { ACTIONS } from './actions.js';
import { moveProblem } from './moves.js';
import { describe, sealsOf, type RowProblem } from './seals-check.js';

const digest16 = (v: unknown) => sha256Hex(utf8Encode(canonicalJson(v))).slice(0, 32);

/** What the ledger keeps per row: short digests of the whole sealed row and of its fixed columns, its mutable values. */
interface Held {
  seq: number;
  /** the event that first sealed the row (its creation), and its action */
  first: number;
  origin: string;
  full: string | null;
  fixed: string | null;
  mutable: RowSeal;
}

function mayPerform(permission: Permission | 'init' | 'adopt', seq: number, roles: readonly string[]): boolean {
  if (permission === 'init') return seq === 1;
  if (permission === 'adopt') return true; // the chain check already required a root v1 key for it
  const allowed: readonly string[] = PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}

const fixedPart = (table: SealedTable, row: RowSeal) => Object.fromEntries(Object.entries(row).filter(([c]) => !TABLES[table].mutable.includes(c)));
const mutablePart = (table: SealedTable, row: RowSeal): RowSeal => Object.fromEntries(TABLES[table].mutable.map((c) => [c, row[c] ?? null]));

/** Tables whose every sealed state the replay keeps, because later decisions depend on what was true when. */
const REMEMBERED = new Set<SealedTable>(['environments', 'version_status', 'activations', 'overlays', 'channels', 'hosts']);

/**
 * `airlock verify`'s replay of the chain: every seal, in chain order, held to its table's rule
 * (`tables.ts`), to what its event's action may write (`actions.ts`) and the state moves it makes
 * (`moves.ts`), signed by someone whose roles at the time allowed that action, naming that signer in
 * the row's actor columns, and built on the row's newest seal (so a change made on a row rolled back
 * to an older seal is found); then every row in the database compared with its newest seal. Memory
 * is a few short digests per row; columns are named by re-reading the one event involved.
 */
export class SealLedger {
  private readonly held = new Map<string, Held>();
  private readonly remembered = new Map<string, { seq: number; row: RowSeal | null }[]>();
  readonly problems: RowProblem[] = [];
  /** events whose action, or whose signer's right to it, does not hold */
  readonly events: { seq: number; message: string }[] = [];

  /** Call for each genuine event, in chain order, with its signer as they were at that moment. */
  visit(e: AuditRow, signer: Signer): void {
    const action = ACTIONS[e.action];
    const adopting = e.action === 'registry.adopt';
    const eventProblem = (message: string) => this.events.push({ seq: e.seq, message });
    if (!action) eventProblem(`Audit event ${e.seq} records "${e.action}", which is not an action Airlock performs.`);
    else if (!mayPerform(action.permission, e.seq, signer.roles)) {
      eventProblem(`Audit event ${e.seq} (${e.action}) is signed by ${e.actor}, whose roles then (${signer.roles.join(', ') || 'none'}) did not allow it.`);
    }
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
      const exists = before?.full != null;
      const may = action?.writes[s.table] ?? [];
      const changed = exists && s.row ? Object.keys(mutablePart(s.table, s.row)).filter((c) => canonicalJson(before.mutable[c] ?? null) !== canonicalJson(s.row![c] ?? null)) : [];
      if (before && !adopting && s.prior !== before.seq) bad(`was made on the row as audit event ${s.prior ?? 'none'} left it, but audit event ${before.seq} had sealed it since: the row had been rolled back.`);
      else if (!before && s.prior !== undefined) bad(`claims to build on audit event ${s.prior}, which never sealed the row.`);
      if (exists) {
        if (rule.kind === 'write-once') bad('rewrites a write-once row.');
        else if (s.row === null && !rule.deletable) bad('removes a row that is never removed.');
        else if (s.row && digest16(fixedPart(s.table, s.row)) !== before.fixed) bad('changes columns that never change.');
        else if (s.row && rule.settles && rule.mutable.some((c) => before.mutable[c] !== null) && changed.length > 0) bad('changes a row that had already settled.');
        else if (action && s.row === null && !may.includes('delete')) bad(`removes it, which ${e.action} never does.`);
        else if (action && changed.some((c) => !may.includes(c))) bad(`changes ${changed.filter((c) => !may.includes(c)).join(', ')}, which ${e.action} never changes.`);
      } else if (s.row && action && !may.includes('insert')) bad(`creates it, which ${e.action} never does.`);
      const move = action ? moveProblem(e.action, s.table, exists ? before.mutable : null, s.row) : null;
      if (move) bad(move);
      if (s.row && !adopting) {
        for (const col of rule.actors ?? []) {
          const set = s.row[col] !== null && s.row[col] !== undefined && (!exists || changed.includes(col));
          if (set && s.row[col] !== signer.userId) bad(`names user #${String(s.row[col])} in ${col}, but was signed by ${e.actor}.`);
        }
      }
      if (REMEMBERED.has(s.table)) this.remembered.set(id, [...(this.remembered.get(id) ?? []), { seq: e.seq, row: s.row }]);
      this.held.set(
        id,
        s.row
          ? { seq: e.seq, first: exists ? before.first : e.seq, origin: exists ? before.origin : e.action, full: digest16(s.row), fixed: digest16(fixedPart(s.table, s.row)), mutable: mutablePart(s.table, s.row) }
          : { seq: e.seq, first: before?.first ?? e.seq, origin: before?.origin ?? e.action, full: null, fixed: null, mutable: {} },
      );
    }
  }

  /** The event that created a row, if the chain sealed it. */
  createdAt(table: SealedTable, key: RowKey): number | undefined {
    return this.held.get(`${table} ${keyText(key)}`)?.first;
  }

  /** The action that created a row, if the chain sealed it. */
  createdBy(table: SealedTable, key: RowKey): string | undefined {
    return this.held.get(`${table} ${keyText(key)}`)?.origin;
  }

  /** A remembered row (see REMEMBERED) as sealed most recently at or before `seq`. */
  rowAt(table: SealedTable, key: RowKey, seq: number): RowSeal | null | undefined {
    return this.remembered.get(`${table} ${keyText(key)}`)?.filter((r) => r.seq <= seq).at(-1)?.row;
  }

  /** Every seal of a remembered row, oldest first. */
  history(table: SealedTable, key: RowKey): readonly { seq: number; row: RowSeal | null }[] {
    return this.remembered.get(`${table} ${keyText(key)}`) ?? [];
  }

  /** Compares the database with the seals; call after the whole chain was visited. */
  finish(db: Db): RowProblem[] {
    const remaining = new Map(this.held);
    for (const table of SEALED_TABLES) {
      for (const row of db.raw.prepare(`SELECT * FROM ${table}`).iterate() as IterableIterator<Record<string, unknown>>) {
        const key = keyOf(table, row);
        const id = `${table} ${keyText(key)}`;
        const h = remaining.get(id);
        remaining.delete(id);
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
    for (const [id, h] of remaining) {
      if (h.full === null) continue;
      const [table, key] = [id.slice(0, id.indexOf(' ')) as SealedTable, JSON.parse(id.slice(id.indexOf(' ') + 1)) as RowKey];
      this.problems.push({ table, key, columns: [], seq: h.seq, message: `${describe(table, key)} was removed behind Airlock's back (audit event ${h.seq} sealed it).` });
    }
    return this.problems;
  }
}
