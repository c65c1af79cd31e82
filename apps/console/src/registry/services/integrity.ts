import { AirlockError, type AuditHead, type ErrorCode } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import { verifyAuditChain } from '../audit.js';
import type { Registry } from '../context.js';
import { sql } from '../db/sql.js';
import { approvalProblems, deploymentHostProblems, deploymentProblems, evaluationProblems, hostProblems, promotionProblems, reportProblems, versionProblems } from '../integrity/records.js';
import { decisionProblems } from '../integrity/decisions.js';
import { SealLedger } from '../integrity/ledger.js';
import type { ApprovalRow } from '../repos/approvals.js';
import { components } from '../repos/components.js';
import type { DeploymentRow } from '../repos/deployments.js';
import type { EvaluationRow } from '../repos/evaluations.js';
import type { HostRow } from '../repos/hosts.js';
import type { PromotionRow } from '../repos/promotions.js';
import type { ReportRow } from '../repos/reports.js';
import { versions } from '../repos/versions.js';
import { headProblems, reportedHeads, type HeadClaim } from './audit-anchors.js';
import { refOf } from './refs.js';

export interface Problem {
  code: ErrorCode;
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface IntegrityReport {
  ok: boolean;
  blobs: { checked: number; bytes: number };
  versions: number;
  auditEvents: number;
  rows: number;
  problems: Problem[];
  /** blobs no version references (left by an interrupted import): `airlock gc` removes them */
  unreferenced: string[];
}

type Progress = (phase: string, done: number, total: number) => void;

/**
 * `airlock verify`: re-hashes every blob, recomputes every version's digest from its stored manifest
 * and checks its components and dependencies against it, verifies the audit chain and holds every row
 * of every table to its newest seal, re-checks every signed record (approvals, reports) and every
 * recomputable binding (evaluations, promotions, deployments), and compares the chain with every head
 * seen outside it (hosts' reports, the anchor files given).
 */
/** Aborting `signal` stops the check between blobs; the records pass, one read of the database, runs to its end. */
export async function verifyRegistry(reg: Registry, _actor: Actor, opts: { anchors?: HeadClaim[]; onProgress?: Progress; signal?: AbortSignal } = {}): Promise<IntegrityReport> {
  const onProgress = opts.onProgress;
  const problems: Problem[] = [];
  const blobs = [];
  for await (const d of reg.store.list()) blobs.push(d);
  let bytes = 0;
  for (const [i, digest] of blobs.entries()) {
    opts.signal?.throwIfAborted();
    try {
      await reg.store.verify(digest);
      bytes += await reg.store.size(digest);
    } catch (err) {
      problems.push({ code: 'BLOB_DIGEST_MISMATCH', subject: `blob:${digest}`, message: (err as Error).message });
    }
    onProgress?.('blobs', i + 1, blobs.length);
  }
  const present = new Set(blobs);
  const referenced = new Set(components.allBlobs(reg.db).map((b) => b.digest));
  const all = versions.all(reg.db);
  for (const v of all) {
    for (const c of components.of(reg.db, v.id)) {
      if (!present.has(c.digest)) problems.push({ code: 'BLOB_NOT_FOUND', subject: `version:${refOf(v)}`, message: `${refOf(v)}: component ${c.path} (${c.digest}) is missing from the blob store.` });
      else if ((await reg.store.size(c.digest)) !== c.size) problems.push({ code: 'BLOB_SIZE_MISMATCH', subject: `version:${refOf(v)}`, message: `${refOf(v)}: component ${c.path} has the wrong size in the blob store.` });
    }
  }
  const records = recordProblems(reg, { anchors: opts.anchors, onProgress: (n) => onProgress?.('audit', n, 0) });
  problems.push(...records.problems);
  return {
    ok: problems.length === 0,
    blobs: { checked: blobs.length, bytes },
    versions: all.length,
    auditEvents: records.auditEvents,
    rows: records.rows,
    problems,
    unreferenced: blobs.filter((d) => !referenced.has(d)),
  };
}

/**
 * Everything `verify` checks in the database, without the blob store: every signed record and
 * recomputable binding, the audit chain, every row against its newest seal, every decision replayed,
 * and the chain's head against every head seen outside it. `bundle export` runs this before it signs.
 */
export function recordProblems(reg: Registry, opts: { anchors?: HeadClaim[]; onProgress?: (events: number) => void } = {}): { problems: Problem[]; auditEvents: number; rows: number } {
  const problems: Problem[] = [];
  for (const v of versions.all(reg.db)) {
    for (const why of versionProblems(reg.db, v)) problems.push({ code: 'INTEGRITY_FAILED', subject: `version:${refOf(v)}`, message: `${refOf(v)}: ${why}.` });
  }
  // The chain first: what the record checks accept of a row may depend on the event that sealed it.
  const ledger = new SealLedger();
  const audit = verifyAuditChain(reg, opts.onProgress, (e, signer) => ledger.visit(e, signer));
  if (audit.firstBad) problems.push({ code: 'AUDIT_CHAIN_BROKEN', subject: `audit:${audit.firstBad.seq}`, message: audit.firstBad.message });
  else {
    for (const p of ledger.events) problems.push({ code: 'INTEGRITY_FAILED', subject: `audit:${p.seq}`, message: p.message, details: { seq: p.seq } });
    for (const p of ledger.finish(reg.db)) {
      problems.push({ code: 'INTEGRITY_FAILED', subject: `row:${p.table}:${JSON.stringify(p.key)}`, message: p.message, details: { table: p.table, key: p.key, columns: p.columns, seq: p.seq } });
    }
    for (const d of decisionProblems(reg.db, ledger)) problems.push({ code: 'INTEGRITY_FAILED', subject: d.subject, message: d.message });
    problems.push(...headProblems(reg, audit.head, [...(opts.anchors ?? []), ...reportedHeads(reg)]));
  }
  const record = (table: string, id: string | number, whys: string[]) => {
    for (const why of whys) problems.push({ code: 'INTEGRITY_FAILED', subject: `${table}:${id}`, message: `${table} row ${id}: ${why}.` });
  };
  for (const r of reg.db.all<EvaluationRow>(sql`SELECT * FROM evaluations`)) record('evaluations', r.id, evaluationProblems(reg.db, r));
  for (const r of reg.db.all<PromotionRow>(sql`SELECT * FROM promotions`)) record('promotions', r.id, promotionProblems(reg.db, r));
  for (const r of reg.db.all<ApprovalRow>(sql`SELECT * FROM approvals`)) record('approvals', r.id, approvalProblems(reg.db, r, ledger.createdBy('approvals', [r.id]) === 'registry.adopt'));
  for (const r of reg.db.all<ReportRow>(sql`SELECT * FROM reports`)) record('reports', r.digest, reportProblems(reg.db, r));
  for (const r of reg.db.all<DeploymentRow>(sql`SELECT * FROM deployments`)) record('deployments', r.id, deploymentProblems(reg.db, r));
  for (const r of reg.db.all<HostRow>(sql`SELECT * FROM hosts`)) record('hosts', r.id, hostProblems(reg.db, r));
  for (const r of reg.db.all<{ deployment_id: number; host: number; state: string }>(sql`SELECT * FROM deployment_hosts`)) {
    record('deployment_hosts', `${r.deployment_id}/${r.host}`, deploymentHostProblems(reg.db, r));
  }

  const rows = reg.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM row_seals`)!.n;
  return { problems, auditEvents: audit.checked, rows };
}

/** Refuses, with what `verify` would report first, unless the registry's records hold. */
export function assertRecordsHold(reg: Registry, what: string): void {
  const { problems } = recordProblems(reg);
  if (problems.length === 0) return;
  throw new AirlockError('INTEGRITY_FAILED', `The registry's records do not verify (${problems.length} problem(s); first: ${problems[0]!.message}) ${what}. Run \`airlock verify\`.`, {
    problems: problems.slice(0, 20),
  });
}

/**
 * `airlock audit verify`: the chain (every hash, link, sequence and signature), then its head against
 * every head seen outside the database — hosts' signed reports and the anchor files given.
 */
export function verifyAuditLog(reg: Registry, _actor: Actor, anchors: HeadClaim[] = []): { checked: number; head: AuditHead; problems: Problem[] } {
  const audit = verifyAuditChain(reg);
  if (audit.firstBad) {
    return { checked: audit.checked, head: audit.head, problems: [{ code: 'AUDIT_CHAIN_BROKEN', subject: `audit:${audit.firstBad.seq}`, message: audit.firstBad.message, details: { seq: audit.firstBad.seq, problem: audit.firstBad.problem } }] };
  }
  return { checked: audit.checked, head: audit.head, problems: headProblems(reg, audit.head, [...anchors, ...reportedHeads(reg)]) };
}
