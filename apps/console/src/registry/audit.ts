import {
  AirlockError,
  canonicalJson,
  fromBase64,
  pae,
  sha256Hex,
  signDetached,
  toBase64,
  utf8Encode,
  verifyDetached,
} from '@airlock/shared/common';
import { authorize, type Permission, type SigningActor } from './auth.js';
import type { Registry } from './context.js';
import { auditEvents, type AuditRow } from './repos/audit-events.js';
import { users } from './repos/users.js';

export const AUDIT_PAYLOAD_TYPE = 'application/vnd.airlock.audit+json';
/** The previous-hash of the first event. */
export const AUDIT_GENESIS = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

/** The exact bytes an audit event's hash and signature cover. */
function eventBytes(e: AuditDraft): Uint8Array {
  return utf8Encode(canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, details: JSON.parse(e.details), prev: e.prev_hash }));
}

export type AuditDraft = Pick<AuditRow, 'seq' | 'at' | 'actor' | 'action' | 'subject' | 'details' | 'prev_hash'>;

/** Hashes an event and signs it (DSSE PAE over its canonical bytes) with the given signing function. */
export function sealEvent(draft: AuditDraft, keyId: string, sign: (message: Uint8Array) => Uint8Array): AuditRow {
  const bytes = eventBytes(draft);
  return { ...draft, hash: sha256Hex(bytes), key_id: keyId, signature: toBase64(sign(pae(AUDIT_PAYLOAD_TYPE, bytes))) };
}

/** Appends one event, chained to the previous one and signed by the actor. Call inside a transaction. */
function append(reg: Registry, actor: SigningActor, entry: AuditEntry): AuditRow {
  const last = auditEvents.last(reg.db);
  const draft: AuditDraft = {
    seq: (last?.seq ?? 0) + 1,
    at: reg.now(),
    actor: actor.user.name,
    action: entry.action,
    subject: entry.subject,
    details: canonicalJson(entry.details ?? {}),
    prev_hash: last?.hash ?? AUDIT_GENESIS,
  };
  const row = sealEvent(draft, actor.signer.keyId, (m) => signDetached(m, actor.signer.secretKey));
  auditEvents.insert(reg.db, row);
  return row;
}

/**
 * The one way the registry changes: check the permission, then run `fn` and record exactly one audit
 * event in the same transaction. If anything throws, neither the change nor its event exists. `fn`
 * returns `audit: null` only when it found, under the lock, that there was nothing to change.
 */
export function mutate<T>(reg: Registry, actor: SigningActor, permission: Permission | null, fn: () => { result: T; audit: AuditEntry | null }): T {
  if (permission) authorize(actor, permission);
  return reg.db.transaction(() => {
    const { result, audit } = fn();
    if (audit) append(reg, actor, audit);
    return result;
  });
}

export interface AuditProblem {
  seq: number;
  problem: 'hash' | 'chain' | 'gap' | 'signature' | 'unknown_key';
  message: string;
}

/**
 * Re-derives every event's hash, its link to the previous event, the sequence and the signature.
 * Reports the first event that does not hold; an edit, deletion or reordering all break one of these.
 */
export function verifyAuditChain(reg: Registry, onProgress?: (checked: number) => void): { checked: number; firstBad: AuditProblem | null } {
  const keys = new Map<string, Uint8Array>();
  const keyOf = (keyId: string) => {
    if (!keys.has(keyId)) {
      const user = users.byKeyId(reg.db, keyId);
      if (user) keys.set(keyId, fromBase64(user.public_key));
    }
    return keys.get(keyId);
  };
  let prevHash = AUDIT_GENESIS;
  let expectedSeq = 1;
  let checked = 0;
  for (let page = auditEvents.page(reg.db, 0, 5000); page.length > 0; page = auditEvents.page(reg.db, page.at(-1)!.seq, 5000)) {
    for (const e of page) {
      const bad = (problem: AuditProblem['problem'], message: string, seq = e.seq) => ({ checked, firstBad: { seq, problem, message } });
      if (e.seq !== expectedSeq) return bad('gap', `Event ${expectedSeq} is missing: the next event is ${e.seq}.`, expectedSeq);
      if (e.prev_hash !== prevHash) return bad('chain', `Event ${e.seq} does not follow event ${e.seq - 1}: events were removed or reordered.`);
      const bytes = eventBytes(e);
      if (sha256Hex(bytes) !== e.hash) return bad('hash', `Event ${e.seq} was edited: its content no longer matches its hash.`);
      const key = keyOf(e.key_id);
      if (!key) return bad('unknown_key', `Event ${e.seq} is signed by a key no user holds.`);
      if (!verifyDetached(pae(AUDIT_PAYLOAD_TYPE, bytes), fromBase64(e.signature), key)) {
        return bad('signature', `Event ${e.seq} does not carry a valid signature of ${e.actor}.`);
      }
      prevHash = e.hash;
      expectedSeq++;
      checked++;
    }
    onProgress?.(checked);
  }
  return { checked, firstBad: null };
}

export function assertAuditChain(reg: Registry): number {
  const { checked, firstBad } = verifyAuditChain(reg);
  if (firstBad) throw new AirlockError('AUDIT_CHAIN_BROKEN', firstBad.message, { seq: firstBad.seq, problem: firstBad.problem });
  return checked;
}

export function listAudit(reg: Registry, filter: { subject?: string; actor?: string; limit?: number } = {}) {
  return auditEvents.recent(reg.db, { ...filter, limit: filter.limit ?? 50 }).map((e) => ({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: JSON.parse(e.details) as Record<string, unknown>,
    hash: e.hash,
  }));
}
