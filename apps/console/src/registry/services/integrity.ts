import type { ErrorCode } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import { verifyAuditChain } from '../audit.js';
import type { Registry } from '../context.js';
import { components } from '../repos/components.js';
import { versions } from '../repos/versions.js';
import { manifestOf } from './models.js';
import { refOf } from './refs.js';

export interface Problem {
  code: ErrorCode;
  subject: string;
  message: string;
}

export interface IntegrityReport {
  ok: boolean;
  blobs: { checked: number; bytes: number };
  versions: number;
  auditEvents: number;
  problems: Problem[];
}

/**
 * `airlock verify`: re-hashes every blob in the store, checks that every version's manifest matches its
 * components and that each component's blob exists with its size, and verifies the audit chain.
 */
export async function verifyRegistry(reg: Registry, _actor: Actor, onProgress?: (phase: string, done: number, total: number) => void): Promise<IntegrityReport> {
  const problems: Problem[] = [];
  const blobs = [];
  for await (const d of reg.store.list()) blobs.push(d);
  let bytes = 0;
  for (const [i, digest] of blobs.entries()) {
    try {
      await reg.store.verify(digest);
      bytes += await reg.store.size(digest);
    } catch (err) {
      problems.push({ code: 'BLOB_DIGEST_MISMATCH', subject: `blob:${digest}`, message: (err as Error).message });
    }
    onProgress?.('blobs', i + 1, blobs.length);
  }
  const present = new Set(blobs);
  const all = versions.all(reg.db);
  for (const v of all) {
    const comps = components.of(reg.db, v.id);
    const manifest = manifestOf(v);
    if (JSON.stringify(manifest.components) !== JSON.stringify(comps)) {
      problems.push({ code: 'INTEGRITY_FAILED', subject: `version:${refOf(v)}`, message: `${refOf(v)}: its manifest and its component rows disagree.` });
    }
    for (const c of comps) {
      if (!present.has(c.digest)) problems.push({ code: 'BLOB_NOT_FOUND', subject: `version:${refOf(v)}`, message: `${refOf(v)}: component ${c.path} (${c.digest}) is missing from the blob store.` });
      else if ((await reg.store.size(c.digest)) !== c.size) problems.push({ code: 'BLOB_SIZE_MISMATCH', subject: `version:${refOf(v)}`, message: `${refOf(v)}: component ${c.path} has the wrong size in the blob store.` });
    }
  }
  const audit = verifyAuditChain(reg, (n) => onProgress?.('audit', n, 0));
  if (audit.firstBad) problems.push({ code: 'AUDIT_CHAIN_BROKEN', subject: `audit:${audit.firstBad.seq}`, message: audit.firstBad.message });
  return { ok: problems.length === 0, blobs: { checked: blobs.length, bytes }, versions: all.length, auditEvents: audit.checked, problems };
}
