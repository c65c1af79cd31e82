import { canonicalJson } from '@airlock/shared/common';
import type { Db } from '../db/database.js';
import { sealRow } from '../db/seals.js';
import { sql } from '../db/sql.js';
import type { ApprovalRow } from '../repos/approvals.js';
import type { PromotionRow } from '../repos/promotions.js';
import type { SealLedger } from './ledger.js';
import { approvalProblems } from './records.js';

interface StoredEvidence {
  policy?: { approvals?: number };
  gates?: { gate: string; passed: boolean }[];
}

const PAST_APPROVAL = new Set(['approved', 'active', 'superseded', 'rolled_back']);

/**
 * Decisions replayed: every promotion that went past approval was entitled to. Its evidence holds the
 * policy that was in force in its environment when it was requested (as the chain sealed it), every
 * gate passed, and a quorum of genuine approvals from distinct approvers — neither the requester nor
 * the version's creator — signed its evidence digest. Every activation belongs to such a promotion of
 * the same version. Rows can each be sealed and still tell a story that never happened; this is where
 * the story is checked.
 */
export function decisionProblems(db: Db, ledger: SealLedger): { subject: string; message: string }[] {
  const problems: { subject: string; message: string }[] = [];
  for (const p of db.all<PromotionRow & { created_by: number }>(sql`SELECT p.*, v.created_by FROM promotions p JOIN versions v ON v.id = p.version_id`)) {
    if (!PAST_APPROVAL.has(p.state) || p.break_glass) continue;
    const bad = (message: string) => problems.push({ subject: `promotion:${p.id}`, message: `Promotion #${p.id} ${message}` });
    let evidence: StoredEvidence;
    try {
      evidence = JSON.parse(p.evidence) as StoredEvidence;
    } catch {
      continue; // the record check already names damaged evidence
    }
    const failed = (evidence.gates ?? []).filter((g) => !g.passed).map((g) => g.gate);
    if (failed.length > 0 || !evidence.gates) bad(`is ${p.state} although its evidence shows failed gates (${failed.join(', ') || 'none recorded'}).`);
    const requested = ledger.createdAt('promotions', [p.id]);
    const inForce = requested === undefined ? undefined : ledger.policyAt(p.env_id, requested);
    const claimed = sealRow({ policy: canonicalJson(evidence.policy ?? null) }).policy;
    if (canonicalJson(inForce ?? null) !== canonicalJson(claimed)) bad('rests on a policy that was not its environment\'s policy when it was requested.');
    const quorum = evidence.policy?.approvals ?? Infinity;
    const approvers = new Set<number>();
    for (const a of db.all<ApprovalRow>(sql`SELECT * FROM approvals WHERE promotion_id = ${p.id} AND decision = 'approve'`)) {
      const counts = a.evidence_digest === p.evidence_digest && a.user_id !== p.requested_by && a.user_id !== p.created_by && approvalProblems(db, a).length === 0;
      if (counts) approvers.add(a.user_id);
    }
    if (approvers.size < quorum) bad(`is ${p.state} with ${approvers.size} valid approval(s); its policy required ${quorum}.`);
  }
  for (const a of db.all<{ id: number; version_id: number; state: string | null; pv: number | null }>(sql`SELECT a.id, a.version_id, p.state, p.version_id AS pv FROM activations a LEFT JOIN promotions p ON p.id = a.promotion_id`)) {
    if (a.pv !== a.version_id || !a.state || !['active', 'superseded', 'rolled_back'].includes(a.state)) {
      problems.push({ subject: `activation:${a.id}`, message: `Activation #${a.id} does not belong to a promotion of its version that went active.` });
    }
  }
  return problems;
}
