import {
  APPROVAL_PAYLOAD_TYPE,
  ApprovalSchema,
  BundleManifestSchema,
  configDigest,
  REPORT_PAYLOAD_TYPE,
  ReportSchema,
  VersionManifestSchema,
  canonicalJson,
  fromBase64,
  parseEnvelope,
  sha256Hex,
  utf8Decode,
  utf8Encode,
  versionDigest,
  type VersionManifest,
} from '@airlock/shared/common';
import { verifyEnvelopeNative } from '@airlock/shared/node';
import type { Db } from '../db/database.js';
import { sql } from '../db/sql.js';

/**
 * What a stored record claims that can be recomputed from the record itself or checked against a
 * signature — never believed because it is in the database (DESIGN §4.2). Each check returns the
 * problems it found as sentences; an empty list means the record holds.
 */

interface VersionRecord {
  id: number;
  model_id: number;
  number: number;
  digest: string;
  manifest: string;
}

export const sha256Digest = (text: string) => `sha256:${sha256Hex(utf8Encode(text))}`;

function payloadJson(base64: string): unknown {
  try {
    return JSON.parse(utf8Decode(fromBase64(base64)));
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The stored manifest parses, hashes to the stored digest, and agrees with its model, components and dependencies. */
export function versionProblems(db: Db, v: VersionRecord): string[] {
  const parsed = VersionManifestSchema.safeParse(parseJson(v.manifest));
  if (!parsed.success) return ['its stored manifest is not a valid version manifest'];
  const m: VersionManifest = parsed.data;
  const problems: string[] = [];
  if (versionDigest(m) !== v.digest) problems.push(`its manifest hashes to ${versionDigest(m)}, not to its recorded digest ${v.digest}`);
  const model = db.get<{ name: string; kind: string }>(sql`SELECT name, kind FROM models WHERE id = ${v.model_id}`);
  if (!model || model.name !== m.model.name || model.kind !== m.model.kind) problems.push(`its manifest names model ${m.model.name} (${m.model.kind}), not the model it is filed under`);
  const comps = db.all<{ role: string; path: string; digest: string; size: number }>(sql`SELECT role, path, digest, size FROM components WHERE version_id = ${v.id} ORDER BY path`);
  if (canonicalJson(comps) !== canonicalJson([...m.components].sort((a, b) => (a.path < b.path ? -1 : 1)))) problems.push('its component rows differ from its manifest');
  const deps = db.all<{ kind: string; digest: string }>(sql`SELECT kind, digest FROM dependencies WHERE version_id = ${v.id} ORDER BY kind, digest`);
  if (canonicalJson(deps) !== canonicalJson(dependencyRows(m))) problems.push('its dependency rows differ from its manifest');
  return problems;
}

/** The governed dependencies a manifest declares, as the `dependencies` table holds them. */
export function dependencyRows(m: VersionManifest): { kind: string; digest: string }[] {
  const rows = [
    ...(m.dependencies.baseModel ? [{ kind: 'base_model', digest: m.dependencies.baseModel }] : []),
    ...(m.dependencies.packageLock ? [{ kind: 'package_lock', digest: m.dependencies.packageLock }] : []),
    ...m.dependencies.datasets.map((d) => ({ kind: 'dataset', digest: d.digest })),
  ];
  const unique = [...new Map(rows.map((r) => [`${r.kind} ${r.digest}`, r])).values()];
  return unique.sort((a, b) => (a.kind === b.kind ? (a.digest < b.digest ? -1 : 1) : a.kind < b.kind ? -1 : 1));
}

/** An evaluation is bound to the digest of the version it is filed under. */
export function evaluationProblems(db: Db, e: { version_id: number; version_digest: string }): string[] {
  const v = db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${e.version_id}`);
  return v?.digest === e.version_digest ? [] : [`it is bound to version digest ${e.version_digest}, not to the digest of the version it is filed under`];
}

/** A promotion's evidence digest is the digest of its evidence, which names its version. */
export function promotionProblems(db: Db, p: { version_id: number; evidence: string; evidence_digest: string; break_glass: number }): string[] {
  const problems: string[] = [];
  if (sha256Digest(canonicalJson(parseJson(p.evidence) ?? null)) !== p.evidence_digest) problems.push('its evidence does not hash to its evidence digest');
  const v = db.get<{ digest: string }>(sql`SELECT digest FROM versions WHERE id = ${p.version_id}`);
  const ev = parseJson(p.evidence) as { version?: { digest?: string }; to?: { digest?: string } } | undefined;
  const named = p.break_glass ? ev?.to?.digest : ev?.version?.digest;
  if (!v || named !== v.digest) problems.push('its evidence names another version than the one it promotes');
  return problems;
}

/**
 * An approval an Airlock before seals signed: without the quorum and config digest approvals name
 * since. Only rows a registry's adoption sealed may hold one.
 */
const LegacyApprovalSchema = ApprovalSchema.omit({ configDigest: true, quorum: true });

/**
 * An approval row says what its signed envelope says, and the envelope is signed by the approver's own
 * key. `adopted`: the row was sealed by adopting a registry begun before seals, so its approval may be
 * in the format of then.
 */
export function approvalProblems(db: Db, a: { promotion_id: number; user_id: number; decision: string; evidence_digest: string; envelope: string }, adopted = false): string[] {
  const user = db.get<{ name: string; key_id: string; public_key: string }>(sql`SELECT name, key_id, public_key FROM users WHERE id = ${a.user_id}`);
  const p = db.get<{ evidence_digest: string; evidence: string; digest: string; env: string }>(sql`SELECT p.evidence_digest, p.evidence, v.digest, e.name AS env
    FROM promotions p JOIN versions v ON v.id = p.version_id JOIN environments e ON e.id = p.env_id WHERE p.id = ${a.promotion_id}`);
  if (!user || !p) return ['it names a user or promotion that does not exist'];
  try {
    const env = parseEnvelope(utf8Encode(a.envelope), 'approval');
    const { payload } = verifyEnvelopeNative(env, APPROVAL_PAYLOAD_TYPE, { keys: new Map([[user.key_id, fromBase64(user.public_key)]]), keyIds: [user.key_id], threshold: 1 }, 'approval');
    const signed = JSON.parse(utf8Decode(payload)) as unknown;
    const current = ApprovalSchema.safeParse(signed);
    const s = current.success ? current.data : adopted ? LegacyApprovalSchema.parse(signed) : ApprovalSchema.parse(signed);
    const same = s.promotion === a.promotion_id && s.decision === a.decision && s.evidenceDigest === a.evidence_digest && s.approver === user.name;
    if (!same) return ['its row differs from the decision its envelope signs'];
    if (s.evidenceDigest !== p.evidence_digest || s.versionDigest !== p.digest || s.environment !== p.env) return ['it signs other evidence, another version or another environment than its promotion holds'];
    if (!current.success) return [];
    const evidence = parseJson(p.evidence) as { policy?: { approvals?: number }; config?: { resolved?: Record<string, unknown> } } | undefined;
    if (current.data.quorum !== evidence?.policy?.approvals || current.data.configDigest !== configDigest(evidence.config?.resolved ?? {})) return ['it names another quorum or config than its promotion\'s evidence'];
    return [];
  } catch {
    return [`its envelope is not a valid approval signed by ${user.name}`];
  }
}

/** A report row is what its host signed: the envelope verifies under the host's key and matches every column. */
export function reportProblems(db: Db, r: { digest: string; host: number; seq: number; kind: string; at: string; body: string; envelope: string | null }): string[] {
  if (r.envelope === null) return [];
  const host = db.get<{ host_id: string; key_id: string; public_key: string }>(sql`SELECT host_id, key_id, public_key FROM hosts WHERE id = ${r.host}`);
  if (!host) return ['it names a host that does not exist'];
  try {
    const env = parseEnvelope(utf8Encode(r.envelope), 'report');
    const { payload } = verifyEnvelopeNative(env, REPORT_PAYLOAD_TYPE, { keys: new Map([[host.key_id, fromBase64(host.public_key)]]), keyIds: [host.key_id], threshold: 1 }, 'report');
    // The row holds the body as the import parsed it (defaults filled in), so compare with the same parse.
    const report = ReportSchema.parse(JSON.parse(utf8Decode(payload)));
    const same =
      `sha256:${sha256Hex(payload)}` === r.digest &&
      report.hostId === host.host_id &&
      report.seq === r.seq &&
      report.kind === r.kind &&
      report.at === r.at &&
      canonicalJson(report.body) === canonicalJson(parseJson(r.body) ?? null);
    return same ? [] : ['its row differs from the report its host signed'];
  } catch {
    return [`its envelope is not a report signed by ${host.host_id}`];
  }
}

/**
 * A deployment's manifest parses as a bundle manifest (so its slot runs exactly the version manifest it
 * carries), names the version row it is filed under, and every approval it carries is for that version
 * and that slot's config.
 */
export function deploymentProblems(db: Db, d: { version_id: number; slot: string; manifest: string }): string[] {
  const v = db.get<{ digest: string; number: number }>(sql`SELECT digest, number FROM versions WHERE id = ${d.version_id}`);
  const parsed = BundleManifestSchema.safeParse(parseJson(d.manifest));
  if (!parsed.success) return ['its manifest is not a consistent bundle manifest'];
  const slot = parsed.data.slots[d.slot];
  if (!v || slot?.model.digest !== v.digest || slot.model.version !== v.number) return ['its manifest names another version than the one it is filed under'];
  const config = configDigest(slot.config);
  for (const env of slot.approvals) {
    const a = ApprovalSchema.safeParse(payloadJson(env.payload));
    if (!a.success || a.data.versionDigest !== v.digest || a.data.configDigest !== config) return ['it carries an approval of another version or config'];
  }
  return [];
}

/**
 * What reports refresh is recomputed from the reports: a host's last status is the body of its newest
 * status report and its last sighting the time of its latest report; a deployment's state on a host
 * follows that host's receipt for its bundle (and `healthy` only after one saying it applied).
 */
export function hostProblems(db: Db, h: { id: number; last_seen: string | null; last_status: string | null }): string[] {
  const newest = db.get<{ body: string }>(sql`SELECT body FROM reports WHERE host = ${h.id} AND kind = 'status' ORDER BY seq DESC LIMIT 1`);
  const seen = db.get<{ at: string | null }>(sql`SELECT max(at) AS at FROM reports WHERE host = ${h.id}`)!.at;
  const problems: string[] = [];
  if (canonicalJson(parseJson(h.last_status ?? 'null') ?? null) !== canonicalJson(newest ? (parseJson(newest.body) ?? null) : null)) problems.push('its last status is not its newest status report');
  if (h.last_seen !== seen) problems.push('its last sighting is not the time of its latest report');
  return problems;
}

const RECEIPT_STATES: Readonly<Record<string, readonly string[]>> = { applied: ['applied', 'healthy'], refused: ['refused'], rolled_back: ['rolled_back'] };

export function deploymentHostProblems(db: Db, dh: { deployment_id: number; host: number; state: string }): string[] {
  if (dh.state === 'pending') return [];
  const bundle = db.get<{ bundle_id: string }>(sql`SELECT bundle_id FROM deployments WHERE id = ${dh.deployment_id}`)?.bundle_id;
  const outcomes = db
    .all<{ body: string }>(sql`SELECT body FROM reports WHERE host = ${dh.host} AND kind = 'receipt'`)
    .map((r) => parseJson(r.body) as { bundleId?: string; outcome?: string } | undefined)
    .filter((b) => b?.bundleId === bundle)
    .map((b) => b!.outcome ?? '');
  return outcomes.some((o) => RECEIPT_STATES[o]?.includes(dh.state)) ? [] : [`its state ${dh.state} is not what the host's receipts for the bundle say`];
}
