import { readFile } from 'node:fs/promises';
import {
  AUDIT_ANCHOR_PAYLOAD_TYPE,
  AUDIT_ANCHOR_SCHEMA,
  AirlockError,
  AuditAnchorSchema,
  canonicalJson,
  fromBase64,
  parseEnvelope,
  parseVersionedJson,
  signEnvelope,
  utf8Encode,
  verifyEnvelope,
  type AuditAnchor,
  type AuditHead,
  type Envelope,
} from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import type { Actor, SigningActor } from '../auth.js';
import type { Registry } from '../context.js';
import { auditEvents } from '../repos/audit-events.js';
import { reports } from '../repos/reports.js';
import { users } from '../repos/users.js';
import type { Problem } from './integrity.js';
import { storedJson } from '../db/stored.js';

/** A head of the chain seen somewhere outside the database, and where. */
export interface HeadClaim {
  source: string;
  head: AuditHead;
}

export const headOf = (reg: Registry): AuditHead => {
  const last = auditEvents.last(reg.db);
  return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: '0'.repeat(64) };
};

/** The audit heads hosts said they had seen, from every imported status report. */
export function reportedHeads(reg: Registry): HeadClaim[] {
  const claims: HeadClaim[] = [];
  for (const r of reports.statuses(reg.db)) {
    const head = storedJson<{ auditHead?: AuditHead | null }>(r.body, `status report #${r.seq} of ${r.host_id}`).auditHead;
    if (head) claims.push({ source: `host ${r.host_id} (status report #${r.seq})`, head });
  }
  return claims;
}

/**
 * Holds the chain to every head seen outside it. A head beyond the chain's end means its tail was cut
 * off (AUDIT_TRUNCATED, naming the last event the claim proves existed); a head whose event is there
 * with another hash means history was rewritten (AUDIT_CHAIN_BROKEN).
 */
export function headProblems(reg: Registry, head: AuditHead, all: HeadClaim[]): Problem[] {
  const beyond = all.filter((c) => c.head.seq > head.seq).sort((a, b) => b.head.seq - a.head.seq);
  const problems: Problem[] = [];
  if (beyond.length > 0) {
    const top = beyond[0]!;
    problems.push({
      code: 'AUDIT_TRUNCATED',
      subject: `audit:${top.head.seq}`,
      message: `The audit log ends at event ${head.seq}, but ${top.source} saw event ${top.head.seq}: at least events ${head.seq + 1}–${top.head.seq} were removed${beyond.length > 1 ? ` (${beyond.length} sources saw beyond the end)` : ''}.`,
      details: { lastSeq: head.seq, provenSeq: top.head.seq, sources: beyond.map((c) => c.source) },
    });
  }
  for (const c of all) {
    if (c.head.seq === 0 || c.head.seq > head.seq) continue;
    const e = auditEvents.bySeq(reg.db, c.head.seq);
    if (e?.hash !== c.head.hash) {
      problems.push({ code: 'AUDIT_CHAIN_BROKEN', subject: `audit:${c.head.seq}`, message: `${c.source} saw another event ${c.head.seq} than the log holds: the log was cut or rewritten from there on.`, details: { seq: c.head.seq, source: c.source } });
    }
  }
  return problems;
}

/** `airlock audit anchor`: the chain's head, signed by the acting user, for an auditor to keep. */
export async function writeAnchor(reg: Registry, actor: SigningActor, out: string): Promise<AuditAnchor> {
  const anchor: AuditAnchor = { schema: AUDIT_ANCHOR_SCHEMA, head: headOf(reg), at: reg.now(), by: actor.user.name, keyId: actor.signer.keyId };
  const envelope = signEnvelope(AUDIT_ANCHOR_PAYLOAD_TYPE, utf8Encode(canonicalJson(anchor)), [actor.signer]);
  await writeFileAtomic(out, `${JSON.stringify(envelope, null, 2)}\n`, { exclusive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${out} already exists: an anchor is never overwritten; write it to a new file.`);
    throw new AirlockError('IO_ERROR', `Cannot write the anchor to ${out}: ${err.code ?? err.message}. Check that the folder exists and is writable.`);
  });
  return anchor;
}

/** Reads an anchor file and checks its signature against the key of the user it names. */
export async function readAnchor(reg: Registry, _actor: Actor, path: string): Promise<HeadClaim> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new AirlockError('IO_ERROR', `Cannot read the anchor file ${path}: ${err.code ?? err.message}.`);
  });
  const envelope: Envelope = parseEnvelope(utf8Encode(text), `anchor ${path}`);
  const claimed = parseVersionedJson(fromBase64(envelope.payload), { schemaId: AUDIT_ANCHOR_SCHEMA, schema: AuditAnchorSchema, what: `anchor ${path}`, invalid: 'INVALID_INPUT', unsupported: 'INVALID_INPUT' });
  const user = users.byKeyId(reg.db, claimed.keyId);
  if (!user) {
    throw new AirlockError('SIGNATURE_KEY_UNKNOWN', `The anchor ${path} is signed by key ${claimed.keyId.slice(0, 16)}… (${claimed.by}), which no user of this registry holds: it is from another registry, or this one lost a user.`);
  }
  verifyEnvelope(envelope, AUDIT_ANCHOR_PAYLOAD_TYPE, { keys: new Map([[user.key_id, fromBase64(user.public_key)]]), keyIds: [user.key_id], threshold: 1 }, `anchor ${path}`);
  return { source: `anchor ${path} (taken by ${claimed.by} at ${claimed.at})`, head: claimed.head };
}
