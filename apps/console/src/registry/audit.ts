import { z } from 'zod';
import {
  AirlockError,
  type AuditHead,
  canonicalJson,
  fromBase64,
  keyIdOf,
  pae,
  sha256Hex,
  signDetached,
} from '@airlock/shared/common';
import { verifyDetachedNative } from '@airlock/shared/node';
import type { Permission } from '../api/permissions.js';
import { authorize, type SigningActor } from './auth.js';
import type { Registry } from './context.js';
import { pendingChanges, keyText, takeSeals, type SealEntry } from './db/seals.js';
import { AUDIT_GENESIS, AUDIT_PAYLOAD_TYPE, eventBytes, sealEvent, type AuditDraft } from './audit-event.js';
import { auditEvents, type AuditFilter, type AuditRow } from './repos/audit-events.js';
import { rowSeals } from './repos/row-seals.js';
import { SealCheck } from './integrity/seals-check.js';
import { rootV1KeyIds } from './integrity/trust-anchor.js';
import { RoleSchema, users } from './repos/users.js';
import { storedJson } from './db/stored.js';

export interface AuditEntry {
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

/** Appends one event with the seals of the rows it wrote, chained to the previous one and signed by the actor. */
function append(reg: Registry, actor: SigningActor, entry: AuditEntry, rows: SealEntry[]): AuditRow {
  // A wiped key signs nothing: the change is rolled back rather than sealed with a signature that cannot verify.
  if (actor.signer.secretKey.every((b) => b === 0)) throw new AirlockError('SESSION_LOCKED', `${actor.user.name}'s key was locked away before this change was recorded; nothing was changed. Unlock and try again.`);
  const last = auditEvents.last(reg.db);
  const draft: AuditDraft = {
    seq: (last?.seq ?? 0) + 1,
    at: reg.now(),
    actor: actor.user.name,
    action: entry.action,
    subject: entry.subject,
    details: canonicalJson(entry.details ?? {}),
    prev_hash: last?.hash ?? AUDIT_GENESIS,
    rows: canonicalJson(rows),
  };
  const row = sealEvent(draft, actor.signer.keyId, (m) => signDetached(m, actor.signer.secretKey));
  auditEvents.insert(reg.db, row);
  for (const r of rows) rowSeals.set(reg.db, r.table, keyText(r.key), row.seq);
  return row;
}

/**
 * The one way the registry changes: check the permission, then run `fn` and record exactly one audit
 * event in the same transaction, sealing every row `fn` wrote. If anything throws, neither the change
 * nor its event exists. `fn` returns `audit: null` only when it found, under the lock, that there was
 * nothing to change — and then it must not have written anything.
 */
export function mutate<T>(reg: Registry, actor: SigningActor, permission: Permission | null, fn: () => { result: T; audit: AuditEntry | null }): T {
  if (permission) authorize(actor, permission);
  return reg.db.transaction(() => {
    if (pendingChanges(reg.db) > 0) throw new AirlockError('INTERNAL', 'Rows were written outside an audited change; refusing to seal them.');
    const { result, audit } = fn();
    const { seals: written, before } = takeSeals(reg.db);
    // Each rewritten row names the seal it was built on, so verify can tell a row rolled back to an older seal.
    const priors = new Map(before.map((b) => [`${b.table} ${keyText(b.key)}`, rowSeals.get(reg.db, b.table, keyText(b.key))]));
    const seals = written.map((s) => {
      const prior = priors.get(`${s.table} ${keyText(s.key)}`);
      return prior === undefined ? s : { ...s, prior };
    });
    // A change rewrites only rows that still are what their seals say; otherwise its own genuine event
    // would seal an edit made behind Airlock's back.
    const check = new SealCheck(reg);
    for (const b of before) {
      const problem = check.compare(b.table, b.key, b.row);
      if (problem) throw new AirlockError('INTEGRITY_FAILED', `${problem.message} This change would seal it as genuine, so nothing was changed. Run \`airlock verify\`.`, { table: b.table, key: b.key, columns: problem.columns });
    }
    if (audit) append(reg, actor, audit, seals);
    else if (seals.length > 0) throw new AirlockError('INTERNAL', `A change that reported nothing to audit wrote ${seals.length} row(s).`);
    return result;
  });
}

export interface AuditProblem {
  seq: number;
  problem: 'hash' | 'chain' | 'gap' | 'signature' | 'unknown_key' | 'role';
  message: string;
}

interface KnownKey {
  userId: number;
  publicKey: Uint8Array;
  roles: string[];
}

/** Who signed an event, as the chain knows them when it was signed. */
export interface Signer {
  userId: number | null;
  roles: readonly string[];
}

/**
 * The keys events may be signed with, learned from the chain itself rather than from the users table:
 * a user's key counts from the event that sealed their row, so an edited users table cannot make a
 * forged event verify. Only an admin's event may introduce a user or change roles. A root v1 root key
 * may introduce itself: the first event does (the admin `init` creates), and so does the one event
 * that adopts a registry begun before seals existed — whose earlier events, sealing nothing, are
 * checked against the users table as they always were.
 */
class ChainKeys {
  private readonly known = new Map<string, KnownKey>();
  /** the chain began before seals and has not been adopted yet */
  private legacy = false;

  constructor(
    private readonly rootKeys: ReadonlySet<string>,
    private readonly usersTable: (keyId: string) => KnownKey | undefined,
  ) {}

  private selfIntroduced(e: AuditRow): KnownKey | undefined {
    return this.rootKeys.has(e.key_id) ? usersSealed(e)?.find((u) => u.keyId === e.key_id) : undefined;
  }

  private keyOf(e: AuditRow): KnownKey | undefined {
    if (e.seq === 1) this.legacy = e.rows === '[]';
    return this.known.get(e.key_id) ?? this.selfIntroduced(e) ?? (this.legacy ? this.usersTable(e.key_id) : undefined);
  }

  /** The key that must have signed `e`, if the chain so far vouches for one. */
  keyFor(e: AuditRow): Uint8Array | undefined {
    return this.keyOf(e)?.publicKey;
  }

  /** `e`'s signer as they were when it was signed (before `e` itself). */
  signerOf(e: AuditRow): Signer {
    const k = this.keyOf(e);
    return { userId: k?.userId ?? null, roles: k?.roles ?? [] };
  }

  /** After `e` verified: learns the users it sealed; returns a problem if its signer could not seal them. */
  learn(e: AuditRow): string | null {
    if (e.action === 'registry.adopt') {
      if (!this.legacy) return `Event ${e.seq} adopts a registry that was sealed from its start.`;
      if (!this.rootKeys.has(e.key_id)) return `Event ${e.seq} adopts the registry, but ${e.actor}'s key is not a root key of root v1.`;
      this.legacy = false;
    } else if (this.legacy && e.rows !== '[]') {
      return `Event ${e.seq} seals rows in a registry that was never adopted: run \`airlock audit adopt\` first.`;
    }
    const sealed = usersSealed(e);
    if (sealed === null) return `Event ${e.seq} seals a users row whose key or roles are not stored as Airlock writes them.`;
    if (sealed.length === 0) return null;
    const mayManageUsers = this.selfIntroduced(e) !== undefined || (this.known.get(e.key_id)?.roles.includes('admin') ?? false);
    for (const u of sealed) {
      if (u.disabled) this.known.delete(u.keyId);
      else this.known.set(u.keyId, { userId: u.userId, publicKey: u.publicKey, roles: u.roles });
    }
    return mayManageUsers ? null : `Event ${e.seq} adds a user or changes roles, but ${e.actor} was not an admin when it was signed.`;
  }
}

/**
 * The users rows an event sealed, with the columns that vouch for a key. Airlock writes a key id (64
 * hex), a public key (44 base64) and roles (at most 55 characters of compact JSON), all sealed inline;
 * a users seal that holds anything else was not written by Airlock, and the result is null.
 */
function usersSealed(e: AuditRow): (KnownKey & { keyId: string; disabled: boolean })[] | null {
  if (e.rows === '[]') return [];
  const out = [];
  for (const r of JSON.parse(e.rows) as SealEntry[]) {
    if (r.table !== 'users' || !r.row) continue;
    const { id, key_id: keyId, public_key: publicKey, roles } = r.row;
    if (typeof id !== 'number' || typeof keyId !== 'string' || typeof publicKey !== 'string' || typeof roles !== 'string') return null;
    const parsed = RolesSchema.safeParse((() => {
      try {
        return JSON.parse(roles) as unknown;
      } catch {
        return undefined;
      }
    })());
    if (!parsed.success || JSON.stringify(parsed.data) !== roles) return null;
    let key: Uint8Array;
    try {
      key = fromBase64(publicKey);
    } catch {
      return null;
    }
    // A key id is the hash of its key: a seal cannot pair someone's id with another key.
    if (keyIdOf(key) !== keyId) return null;
    out.push({ userId: id, keyId, publicKey: key, roles: parsed.data, disabled: r.row.disabled_at !== null });
  }
  return out;
}

const RolesSchema = z.array(RoleSchema).min(1);

/** Roles of a users row in a registry begun before seals: read as they are, damaged ones as none. */
function legacyRoles(text: string): string[] {
  try {
    return RolesSchema.parse(JSON.parse(text));
  } catch {
    return [];
  }
}

function eventBytesOrNull(e: AuditRow): Uint8Array | null {
  try {
    return eventBytes(e);
  } catch {
    return null;
  }
}

/**
 * Re-derives every event's hash, its link to the previous event, the sequence and the signature.
 * Reports the first event that does not hold; an edit, deletion or reordering all break one of these.
 */
export function verifyAuditChain(reg: Registry, onProgress?: (checked: number) => void, visit?: (e: AuditRow, signer: Signer) => void): { checked: number; firstBad: AuditProblem | null; head: AuditHead } {
  const keys = new ChainKeys(rootV1KeyIds(reg), (keyId) => {
    const u = users.keyOf(reg.db, keyId);
    return u ? { userId: u.id, publicKey: fromBase64(u.public_key), roles: legacyRoles(u.roles) } : undefined;
  });
  let prevHash = AUDIT_GENESIS;
  let expectedSeq = 1;
  let checked = 0;
  for (let page = auditEvents.page(reg.db, 0, 5000); page.length > 0; page = auditEvents.page(reg.db, page.at(-1)!.seq, 5000)) {
    for (const e of page) {
      const bad = (problem: AuditProblem['problem'], message: string, seq = e.seq) => ({ checked, firstBad: { seq, problem, message }, head: { seq: expectedSeq - 1, hash: prevHash } });
      if (e.seq !== expectedSeq) return bad('gap', `Event ${expectedSeq} is missing: the next event is ${e.seq}.`, expectedSeq);
      if (e.prev_hash !== prevHash) return bad('chain', `Event ${e.seq} does not follow event ${e.seq - 1}: events were removed or reordered.`);
      const bytes = eventBytesOrNull(e);
      if (!bytes || sha256Hex(bytes) !== e.hash) return bad('hash', `Event ${e.seq} was edited: its content no longer matches its hash.`);
      const key = keys.keyFor(e);
      if (!key) return bad('unknown_key', e.seq === 1 ? 'Event 1 is not signed by a root key of root v1: the chain does not start at this registry\'s root of trust.' : `Event ${e.seq} is signed by a key no earlier event introduced.`);
      if (!verifyDetachedNative(pae(AUDIT_PAYLOAD_TYPE, bytes), fromBase64(e.signature), key)) {
        return bad('signature', `Event ${e.seq} does not carry a valid signature of ${e.actor}.`);
      }
      const signer = keys.signerOf(e);
      const roleProblem = keys.learn(e);
      if (roleProblem) return bad('role', roleProblem);
      visit?.(e, signer);
      prevHash = e.hash;
      expectedSeq++;
      checked++;
    }
    onProgress?.(checked);
  }
  return { checked, firstBad: null, head: { seq: expectedSeq - 1, hash: prevHash } };
}

export function assertAuditChain(reg: Registry): number {
  const { checked, firstBad } = verifyAuditChain(reg);
  if (firstBad) throw new AirlockError('AUDIT_CHAIN_BROKEN', firstBad.message, { seq: firstBad.seq, problem: firstBad.problem });
  return checked;
}

export function listAudit(reg: Registry, filter: AuditFilter & { limit?: number } = {}) {
  return auditEvents.recent(reg.db, { ...filter, limit: filter.limit ?? 50 }).map((e) => ({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: storedJson<Record<string, unknown>>(e.details, `audit event ${e.seq}`),
    hash: e.hash,
  }));
}
