import { AirlockError, fromBase64, keyIdOf } from '@airlock/shared/common';
import { eventIsGenuine } from '../audit-event.js';
import type { Registry } from '../context.js';
import { changedColumns, keyText, readRow, sealRow, type RowKey, type RowSeal, type SealEntry } from '../db/seals.js';
import type { SealedTable } from '../db/tables.js';
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

export const describe = (table: string, key: RowKey) => `${table} row ${keyText(key)}`;

export function sealsOf(e: AuditRow): Map<string, RowSeal | null> {
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

  /**
   * The key that signed `e`, if the registry vouches for it: a root v1 root key that seals its own
   * users row in `e` (the first event, or the adoption of a registry begun before seals), or a key
   * whose users row holds against a genuine seal.
   */
  private trustedKey(e: AuditRow): { publicKey: Uint8Array; admin: boolean } | null {
    this.rootKeys ??= rootV1KeyIds(this.reg);
    const own = this.rootKeys.has(e.key_id) ? sealsOfUsers(e).find((u) => u.key_id === e.key_id && keyMatches(u)) : undefined;
    if (own) return { publicKey: fromBase64(own.public_key as string), admin: true };
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

  /** The action of the event holding a row's newest seal; call after the row was shown to hold. */
  sealedBy(table: SealedTable, key: RowKey): string | undefined {
    const seq = rowSeals.get(this.reg.db, table, keyText(key));
    return seq === undefined ? undefined : auditEvents.bySeq(this.reg.db, seq)?.action;
  }

  /** Throws INTEGRITY_FAILED naming the row and columns unless each row holds. */
  assert(table: SealedTable, ...keys: RowKey[]): void {
    for (const key of keys) {
      const p = this.problem(table, key);
      if (p) throw new AirlockError('INTEGRITY_FAILED', `${p.message} Run \`airlock verify\`; nothing was changed.`, { table, key, columns: p.columns });
    }
  }
}

/** The sealed key id is the hash of the sealed public key (a seal cannot pair someone's id with another key). */
function keyMatches(u: RowSeal): boolean {
  try {
    return typeof u.public_key === 'string' && keyIdOf(fromBase64(u.public_key)) === u.key_id;
  } catch {
    return false;
  }
}

function sealsOfUsers(e: AuditRow): RowSeal[] {
  try {
    return (JSON.parse(e.rows) as SealEntry[]).filter((r) => r.table === 'users' && r.row).map((r) => r.row!);
  } catch {
    return [];
  }
}
