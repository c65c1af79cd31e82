import { canonicalJson, fromBase64, pae, sha256Hex, toBase64, utf8Encode } from '@airlock/shared/common';
import { verifyDetachedNative } from '@airlock/shared/node';
import type { SealEntry } from './db/seals.js';
import type { AuditRow } from './repos/audit-events.js';

/*
 * One audit event as bytes: what its hash and signature cover. Events are DSSE-signed (PAE over the
 * canonical JSON) by the acting user's key and chained by the previous event's hash.
 */

export const AUDIT_PAYLOAD_TYPE = 'application/vnd.airlock.audit+json';
/** The previous-hash of the first event. */
export const AUDIT_GENESIS = '0'.repeat(64);

/** The exact bytes an audit event's hash and signature cover. Events without seals keep their first form. */
export function eventBytes(e: AuditDraft): Uint8Array {
  const rows = JSON.parse(e.rows) as SealEntry[];
  const body = { seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, details: JSON.parse(e.details) as unknown, prev: e.prev_hash };
  return utf8Encode(canonicalJson(rows.length > 0 ? { ...body, rows } : body));
}

export type AuditDraft = Pick<AuditRow, 'seq' | 'at' | 'actor' | 'action' | 'subject' | 'details' | 'prev_hash' | 'rows'>;

/** Hashes an event and signs it (DSSE PAE over its canonical bytes) with the given signing function. */
export function sealEvent(draft: AuditDraft, keyId: string, sign: (message: Uint8Array) => Uint8Array): AuditRow {
  const bytes = eventBytes(draft);
  return { ...draft, hash: sha256Hex(bytes), key_id: keyId, signature: toBase64(sign(pae(AUDIT_PAYLOAD_TYPE, bytes))) };
}

/** Checks one event's own hash and signature (not its place in the chain). */
export function eventIsGenuine(e: AuditRow, publicKey: Uint8Array | undefined): boolean {
  let bytes: Uint8Array;
  try {
    bytes = eventBytes(e);
  } catch {
    return false;
  }
  return sha256Hex(bytes) === e.hash && publicKey !== undefined && verifyDetachedNative(pae(AUDIT_PAYLOAD_TYPE, bytes), fromBase64(e.signature), publicKey);
}

