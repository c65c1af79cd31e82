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

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
    const evidence = parsed(p.evidence) as StoredEvidence | undefined;
    if (!evidence) continue; // the record check already names damaged evidence
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
  problems.push(...breakGlassProblems(db, ledger), ...deploymentDecisionProblems(db, ledger));
  // Imports keep each report's signed envelope; only adopting a registry from before may seal one without.
  for (const r of db.all<{ digest: string }>(sql`SELECT digest FROM reports WHERE envelope IS NULL`)) {
    if (ledger.createdBy('reports', [r.digest]) !== 'registry.adopt') problems.push({ subject: `report:${r.digest}`, message: `Report ${r.digest} has no signed envelope, which an import always keeps.` });
  }
  for (const a of db.all<{ id: number; version_id: number; state: string | null; pv: number | null }>(sql`SELECT a.id, a.version_id, p.state, p.version_id AS pv FROM activations a LEFT JOIN promotions p ON p.id = a.promotion_id`)) {
    if (a.pv !== a.version_id || !a.state || !['active', 'superseded', 'rolled_back'].includes(a.state)) {
      problems.push({ subject: `activation:${a.id}`, message: `Activation #${a.id} does not belong to a promotion of its version that went active.` });
    }
  }
  return problems;
}

/** A break-glass rollback only brings back a version that was active in that environment before it. */
function breakGlassProblems(db: Db, ledger: SealLedger): { subject: string; message: string }[] {
  const problems: { subject: string; message: string }[] = [];
  for (const p of db.all<{ id: number; version_id: number; env_id: number }>(sql`SELECT id, version_id, env_id FROM promotions WHERE break_glass = 1`)) {
    const created = ledger.createdAt('promotions', [p.id]) ?? Infinity;
    const earlier = db
      .all<{ id: number; promotion_id: number }>(sql`SELECT id, promotion_id FROM activations WHERE env_id = ${p.env_id} AND version_id = ${p.version_id} AND promotion_id != ${p.id}`)
      .some((a) => (ledger.createdAt('activations', [a.id]) ?? Infinity) < created);
    if (!earlier) problems.push({ subject: `promotion:${p.id}`, message: `Promotion #${p.id} is a break-glass rollback to a version that was never active in its environment before.` });
  }
  return problems;
}

const UNDEPLOYABLE = new Set(['quarantined', 'revoked', 'retired']);

/**
 * A deployment is what `deploy create` would have made when it was made: the environment's active
 * version, not quarantined, revoked, retired or blocked then, with the config its approving promotion's
 * evidence holds and only that promotion's approvals.
 */
function deploymentDecisionProblems(db: Db, ledger: SealLedger): { subject: string; message: string }[] {
  const problems: { subject: string; message: string }[] = [];
  for (const d of db.all<{ id: number; env_id: number; version_id: number; slot: string; manifest: string }>(sql`SELECT id, env_id, version_id, slot, manifest FROM deployments`)) {
    const bad = (message: string) => problems.push({ subject: `deployment:${d.id}`, message: `Deployment #${d.id} ${message}` });
    const made = ledger.createdAt('deployments', [d.id]);
    if (made === undefined) continue; // unsealed: the row check names it
    const status = ledger.rowAt('version_status', [d.version_id], made);
    if (!status || UNDEPLOYABLE.has(String(status.state)) || status.flag !== null) {
      bad(`ships a version that was ${status ? `${String(status.state)}${status.flag !== null ? ' and blocked' : ''}` : 'unknown'} when it was made.`);
      continue;
    }
    const open = db
      .all<{ id: number; promotion_id: number }>(sql`SELECT id, promotion_id FROM activations WHERE env_id = ${d.env_id} AND version_id = ${d.version_id}`)
      .find((a) => {
        const at = ledger.rowAt('activations', [a.id], made);
        return at !== undefined && at !== null && at.ended_at === null;
      });
    if (!open) {
      bad('ships a version that was not active in its environment when it was made.');
      continue;
    }
    const backing = backingPromotion(db, open.promotion_id, d.env_id, d.version_id);
    // A damaged manifest is named by the record check.
    const slot = (parsed(d.manifest) as { slots?: Record<string, { config?: unknown; approvals?: unknown[] }> } | undefined)?.slots?.[d.slot];
    if (!slot) continue;
    const evidence = backing ? (parsed(backing.evidence) as { config?: { resolved?: unknown } } | undefined) : undefined;
    if (evidence && canonicalJson(evidence.config?.resolved ?? null) !== canonicalJson(slot.config ?? {})) bad('runs a config other than the one its version was approved with.');
    const genuine = new Set(backing ? db.all<{ envelope: string }>(sql`SELECT envelope FROM approvals WHERE promotion_id = ${backing.id} AND decision = 'approve'`).map((a) => canonicalJson(parsed(a.envelope) ?? null)) : []);
    if ((slot.approvals ?? []).some((a) => !genuine.has(canonicalJson(a)))) bad('carries an approval that is not one of the approvals its version was activated with.');
  }
  return problems;
}

/** The promotion whose evidence and approvals back an activation: its own, or before a break-glass rollback the earlier one of the same version. */
function backingPromotion(db: Db, promotionId: number, envId: number, versionId: number): { id: number; evidence: string } | undefined {
  const own = db.get<{ id: number; evidence: string; break_glass: number }>(sql`SELECT id, evidence, break_glass FROM promotions WHERE id = ${promotionId}`);
  if (own && !own.break_glass) return own;
  return db.get<{ id: number; evidence: string }>(sql`SELECT p.id, p.evidence FROM activations a JOIN promotions p ON p.id = a.promotion_id
    WHERE a.env_id = ${envId} AND a.version_id = ${versionId} AND p.break_glass = 0 ORDER BY a.id DESC LIMIT 1`);
}
