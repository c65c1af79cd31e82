import { BundleManifestSchema, canonicalJson, type Envelope } from '@airlock/shared/common';
import type { Db } from '../db/database.js';
import { sealRow } from '../db/seals.js';
import { sql } from '../db/sql.js';
import type { ActivationRow } from '../repos/activations.js';
import type { ApprovalRow } from '../repos/approvals.js';
import type { PromotionRow } from '../repos/promotions.js';
import type { ReviewRow } from '../repos/reviews.js';
import { versions } from '../repos/versions.js';
import { deploymentManifest } from '../services/deployment-manifest.js';
import { computeEvidence, type Evidence, type Gate } from '../services/evidence.js';
import { manifestOf } from '../services/models.js';
import { evidenceAsOf } from './evidence-then.js';
import type { SealLedger } from './ledger.js';
import { approvalProblems } from './records.js';

type Found = { subject: string; message: string }[];

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const PAST_APPROVAL = new Set(['approved', 'active', 'superseded', 'rolled_back']);

/**
 * Decisions replayed. Rows can each be sealed and still tell a story that never happened; this is
 * where the story is checked: every evidence is what the registry held when it was requested (and,
 * for a promotion made active by its last approval, still held then); every promotion past approval
 * had its policy's quorum of genuine approvals from distinct approvers, neither its requester nor its
 * version's creator; every break-glass rollback did what `airlock rollback` does; every activation
 * that ended was replaced in the same change; a rollback's review was resolved by someone else; every
 * deployment is what `deploy create` would have made then.
 */
export function decisionProblems(db: Db, ledger: SealLedger): Found {
  const problems: Found = [];
  for (const p of db.all<PromotionRow & { created_by: number }>(sql`SELECT p.*, v.created_by FROM promotions p JOIN versions v ON v.id = p.version_id`)) {
    if (p.break_glass) continue;
    const bad = (message: string) => problems.push({ subject: `promotion:${p.id}`, message: `Promotion #${p.id} ${message}` });
    const evidence = parsed(p.evidence) as Evidence | undefined;
    const requested = ledger.createdAt('promotions', [p.id]);
    // Damaged evidence and unsealed rows are named by the record and row checks; what an adoption sealed
    // has no history before it to replay.
    if (!evidence || requested === undefined || ledger.createdBy('promotions', [p.id]) === 'registry.adopt') continue;
    const atRequest = rederived(db, ledger, requested - 1, p, evidence);
    if (atRequest.length) bad(`holds evidence that is not what the registry held when it was requested: ${atRequest.join('; ')}.`);
    if (!PAST_APPROVAL.has(p.state)) continue;
    const failed = (evidence.gates ?? []).filter((g) => !g.passed).map((g) => g.gate);
    if (failed.length > 0 || !evidence.gates) bad(`is ${p.state} although its evidence shows failed gates (${failed.join(', ') || 'none recorded'}).`);
    const quorum = evidence.policy?.approvals ?? Infinity;
    const approvers = new Set<number>();
    for (const a of db.all<ApprovalRow>(sql`SELECT * FROM approvals WHERE promotion_id = ${p.id} AND decision = 'approve'`)) {
      const counts = a.evidence_digest === p.evidence_digest && a.user_id !== p.requested_by && a.user_id !== p.created_by && approvalProblems(db, a).length === 0;
      if (counts) approvers.add(a.user_id);
    }
    if (approvers.size < quorum) bad(`is ${p.state} with ${approvers.size} valid approval(s); its policy required ${quorum}.`);
    const activation = db.get<{ id: number }>(sql`SELECT id FROM activations WHERE promotion_id = ${p.id}`);
    const activated = activation ? ledger.createdAt('activations', [activation.id]) : undefined;
    if (activated !== undefined && activated !== requested) {
      const atActivation = rederived(db, ledger, activated - 1, p, evidence);
      if (atActivation.length) bad(`was made active by audit event ${activated} although its evidence no longer held: ${atActivation.join('; ')}.`);
    }
  }
  problems.push(...breakGlassProblems(db, ledger), ...activationProblems(db, ledger), ...reviewProblems(db), ...deploymentDecisionProblems(db, ledger));
  // Imports keep each report's signed envelope; only adopting a registry from before may seal one without.
  for (const r of db.all<{ digest: string }>(sql`SELECT digest FROM reports WHERE envelope IS NULL`)) {
    if (ledger.createdBy('reports', [r.digest]) !== 'registry.adopt') problems.push({ subject: `report:${r.digest}`, message: `Report ${r.digest} has no signed envelope, which an import always keeps.` });
  }
  return problems;
}

/**
 * Where a stored evidence departs from the one `computeEvidence` derives from the registry as it stood
 * after event `seq`. The integrity gate is taken as stored (the blob store has no history); gate
 * details are prose and not compared.
 */
function rederived(db: Db, ledger: SealLedger, seq: number, p: PromotionRow, stored: Evidence): string[] {
  const integrity: Gate = stored.gates?.find((g) => g.gate === 'integrity') ?? { gate: 'integrity', passed: false, detail: '' };
  const { read, mismatches } = evidenceAsOf(db, ledger, seq, stored);
  let again: Evidence;
  try {
    again = computeEvidence(read, p.version_id, p.env_id, integrity);
  } catch (err) {
    return [...mismatches, `it cannot be re-derived (${(err as Error).message})`];
  }
  const passed = (e: Evidence) => new Map((e.gates ?? []).map((g) => [g.gate, g.passed]));
  const [was, is] = [passed(stored), passed(again)];
  const gates = [...new Set([...was.keys(), ...is.keys()])]
    .filter((g) => was.get(g) !== is.get(g))
    .map((g) => `gate ${g} ${was.has(g) ? (was.get(g) ? 'passed' : 'failed') : 'is missing'} but ${is.has(g) ? (is.get(g) ? 'passes' : 'fails') : 'does not apply'}`);
  const fields = (['version', 'environment', 'active', 'evaluations', 'config'] as const)
    .filter((f) => canonicalJson(stored[f] ?? null) !== canonicalJson(again[f]))
    .map((f) => `its ${f} differs`);
  return [...mismatches, ...gates, ...fields];
}

/** A live activation row as the chain held it at `seq`, for the rows of one environment and model. */
function activationsAt(db: Db, ledger: SealLedger, envId: number, modelId: number, seq: number) {
  return db
    .all<ActivationRow>(sql`SELECT * FROM activations WHERE env_id = ${envId} AND model_id = ${modelId} ORDER BY id DESC`)
    .map((a) => ({ id: a.id, row: ledger.rowAt('activations', [a.id], seq) }))
    .filter((a) => a.row)
    .map((a) => ({ id: a.id, versionId: Number(a.row!.version_id), ended: a.row!.ended_at !== null }));
}

/**
 * A break-glass rollback does what `airlock rollback` does: it brings back the version active before
 * the current one, never a revoked or quarantined one, and opens a review item in the same change.
 */
function breakGlassProblems(db: Db, ledger: SealLedger): Found {
  const problems: Found = [];
  for (const p of db.all<{ id: number; version_id: number; env_id: number }>(sql`SELECT id, version_id, env_id FROM promotions WHERE break_glass = 1`)) {
    const bad = (message: string) => problems.push({ subject: `promotion:${p.id}`, message: `Promotion #${p.id} is a break-glass rollback ${message}` });
    const created = ledger.createdAt('promotions', [p.id]);
    if (created === undefined || ledger.createdBy('promotions', [p.id]) === 'registry.adopt') continue;
    const v = versions.byId(db, p.version_id);
    if (!v) continue;
    const before = activationsAt(db, ledger, p.env_id, v.model_id, created - 1);
    const current = before.find((a) => !a.ended);
    const previous = current ? before.find((a) => a.id !== current.id && a.versionId !== current.versionId) : undefined;
    if (!before.some((a) => a.versionId === p.version_id && a.id !== current?.id)) bad('to a version that was never active in its environment before.');
    else if (previous?.versionId !== p.version_id) bad('to a version other than the one active before the current one.');
    const status = ledger.rowAt('version_status', [p.version_id], created - 1);
    if (status && (status.state === 'revoked' || status.state === 'quarantined')) bad(`to a version that was ${String(status.state)} then.`);
    const review = db.get<{ id: number }>(sql`SELECT id FROM reviews WHERE kind = 'rollback' AND subject = ${`promotion:${p.id}`}`);
    if (!review || ledger.createdAt('reviews', [review.id]) !== created) bad('that opened no review item.');
  }
  return problems;
}

/**
 * An activation belongs to a promotion of its version, model and environment that went active; at
 * most one is open per environment and model; and one ends only when the promotion that ends it
 * makes its own version active in the same change.
 */
function activationProblems(db: Db, ledger: SealLedger): Found {
  const problems: Found = [];
  for (const a of db.all<ActivationRow>(sql`SELECT * FROM activations`)) {
    const bad = (message: string) => problems.push({ subject: `activation:${a.id}`, message: `Activation #${a.id} ${message}` });
    const p = db.get<{ state: string; version_id: number; env_id: number; model_id: number }>(sql`SELECT p.state, p.version_id, p.env_id, v.model_id
      FROM promotions p JOIN versions v ON v.id = p.version_id WHERE p.id = ${a.promotion_id}`);
    if (p?.version_id !== a.version_id || !['active', 'superseded', 'rolled_back'].includes(p.state)) bad('does not belong to a promotion of its version that went active.');
    else if (p.env_id !== a.env_id || p.model_id !== a.model_id) bad("is filed under another environment or model than its promotion's.");
    if (a.ended_at === null || ledger.createdBy('activations', [a.id]) === 'registry.adopt') continue;
    const ended = ledger.history('activations', [a.id]).find((h) => h.row && h.row.ended_at !== null)?.seq;
    const next = db.get<{ id: number }>(sql`SELECT id FROM activations WHERE promotion_id = ${a.ended_by ?? -1} AND env_id = ${a.env_id} AND model_id = ${a.model_id}`);
    if (ended !== undefined && (!next || ledger.createdAt('activations', [next.id]) !== ended)) bad(`was ended by audit event ${ended} without another version becoming active in its place.`);
  }
  for (const o of db.all<{ env_id: number; model_id: number; n: number }>(sql`SELECT env_id, model_id, count(*) AS n FROM activations WHERE ended_at IS NULL GROUP BY env_id, model_id HAVING n > 1`)) {
    problems.push({ subject: `environment:${o.env_id}`, message: `Environment #${o.env_id} has ${o.n} open activations of model #${o.model_id}; there is only ever one.` });
  }
  return problems;
}

/** Someone who rolled back by breaking glass does not also close the review of it. */
function reviewProblems(db: Db): Found {
  return db
    .all<ReviewRow>(sql`SELECT * FROM reviews WHERE kind = 'rollback' AND resolved_by IS NOT NULL AND resolved_by = opened_by`)
    .map((r) => ({ subject: `review:${r.id}`, message: `Review item #${r.id} was resolved by the person whose rollback opened it.` }));
}

const UNDEPLOYABLE = new Set(['quarantined', 'revoked', 'retired']);

/**
 * A deployment is what `deploy create` would have made when it was made: the environment's active
 * version, not quarantined, revoked, retired or blocked then, with the config its approving
 * promotion's evidence holds and only that promotion's approvals, the environment's secrets then, its
 * channel's next sequence, hosts of that environment, a floor no higher than the version, and a
 * manifest that is exactly the one those facts give.
 */
function deploymentDecisionProblems(db: Db, ledger: SealLedger): Found {
  const problems: Found = [];
  for (const d of db.all<{ id: number; env_id: number; version_id: number; slot: string; channel: string; sequence: number; bundle_id: string; manifest: string; created_at: string }>(sql`SELECT * FROM deployments`)) {
    const bad = (message: string) => problems.push({ subject: `deployment:${d.id}`, message: `Deployment #${d.id} ${message}` });
    const made = ledger.createdAt('deployments', [d.id]);
    if (made === undefined || ledger.createdBy('deployments', [d.id]) === 'registry.adopt') continue;
    const status = ledger.rowAt('version_status', [d.version_id], made);
    if (!status || UNDEPLOYABLE.has(String(status.state)) || status.flag !== null) {
      bad(`ships a version that was ${status ? `${String(status.state)}${status.flag !== null ? ' and blocked' : ''}` : 'unknown'} when it was made.`);
      continue;
    }
    const v = versions.byId(db, d.version_id);
    const open = v ? activationsAt(db, ledger, d.env_id, v.model_id, made).find((a) => !a.ended && a.versionId === d.version_id) : undefined;
    if (!v || !open) {
      bad('ships a version that was not active in its environment when it was made.');
      continue;
    }
    // A manifest that does not parse is named by the record check.
    const m = BundleManifestSchema.safeParse(parsed(d.manifest));
    const slot = m.success ? m.data.slots[d.slot] : undefined;
    if (!m.success || !slot) continue;
    const backing = backingPromotion(db, ledger, open.id, made);
    const evidence = backing ? (parsed(backing.evidence) as { config?: { resolved?: unknown } } | undefined) : undefined;
    if (canonicalJson(evidence?.config?.resolved ?? null) !== canonicalJson(slot.config)) bad('runs a config other than the one its version was approved with.');
    const genuine = new Set(backing ? db.all<{ envelope: string }>(sql`SELECT envelope FROM approvals WHERE promotion_id = ${backing.id} AND decision = 'approve'`).map((a) => canonicalJson(parsed(a.envelope) ?? null)) : []);
    if (slot.approvals.some((a) => !genuine.has(canonicalJson(a)))) bad('carries an approval that is not one of the approvals its version was activated with.');
    const env = ledger.rowAt('environments', [d.env_id], made);
    const envName = db.get<{ name: string }>(sql`SELECT name FROM environments WHERE id = ${d.env_id}`)?.name;
    if (!env || canonicalJson(sealRow({ secrets: JSON.stringify(slot.secrets) }).secrets) !== canonicalJson(env.secrets)) bad("names secrets that were not its environment's then.");
    if (slot.securityFloor > (v.number ?? 0)) bad(`sets a security floor (${slot.securityFloor}) above the version it ships.`);
    const channel = ledger.history('channels', [d.channel]).find((h) => h.seq === made)?.row;
    if (d.channel !== envName || !channel || channel.sequence !== d.sequence) bad(`does not take its channel's next sequence (${d.channel} #${d.sequence}).`);
    const targets = db.all<{ host: number; host_id: string }>(sql`SELECT dh.host, h.host_id FROM deployment_hosts dh JOIN hosts h ON h.id = dh.host WHERE dh.deployment_id = ${d.id}`);
    const strays = targets.filter((t) => ledger.createdAt('deployment_hosts', [d.id, t.host]) !== made || ledger.rowAt('hosts', [t.host], made)?.env_id !== d.env_id);
    const named = m.data.targets.hosts.filter((h) => !targets.some((t) => t.host_id === h));
    if (strays.length || named.length) bad(`targets hosts that were not hosts of its environment when it was made (${[...strays.map((t) => t.host_id), ...named].join(', ')}).`);
    let expected: unknown = null;
    try {
      expected = deploymentManifest({
        bundleId: d.bundle_id,
        environment: envName ?? '',
        sequence: d.sequence,
        issuedAt: d.created_at,
        hosts: m.data.targets.hosts,
        slot: d.slot,
        version: { manifest: manifestOf(v), number: v.number },
        config: slot.config,
        secrets: slot.secrets,
        approvals: slot.approvals as Envelope[],
        securityFloor: slot.securityFloor,
      });
    } catch {
      // a version manifest the record check already names as damaged
    }
    if (canonicalJson(expected) !== canonicalJson(m.data)) bad('has a manifest other than the one its row, its version and its environment give (sequence, expiry, channel, targets, slot or blobs).');
  }
  return problems;
}

/**
 * The promotion whose evidence and approvals back the activation open when a deployment was made: its
 * own, or after a break-glass rollback the latest earlier non-break-glass promotion of the same version
 * in that environment.
 */
function backingPromotion(db: Db, ledger: SealLedger, activationId: number, made: number): { id: number; evidence: string } | undefined {
  const a = db.get<ActivationRow>(sql`SELECT * FROM activations WHERE id = ${activationId}`)!;
  const own = db.get<{ id: number; evidence: string; break_glass: number }>(sql`SELECT id, evidence, break_glass FROM promotions WHERE id = ${a.promotion_id}`);
  if (own && !own.break_glass) return own;
  return db
    .all<{ id: number; evidence: string; activation: number }>(sql`SELECT p.id, p.evidence, x.id AS activation FROM activations x JOIN promotions p ON p.id = x.promotion_id
      WHERE x.env_id = ${a.env_id} AND x.version_id = ${a.version_id} AND p.break_glass = 0 ORDER BY x.id DESC`)
    .find((x) => (ledger.createdAt('activations', [x.activation]) ?? Infinity) <= made);
}
