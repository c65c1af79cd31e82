import { AirlockError, parseEnvelope, utf8Encode, type AuditHead } from '@airlock/shared/common';
import type { Actor } from '../../auth.js';
import type { Registry } from '../../context.js';
import { storedPolicy } from '../../policy.js';
import { approvals } from '../../repos/approvals.js';
import { environments } from '../../repos/environments.js';
import { hosts } from '../../repos/hosts.js';
import { promotions } from '../../repos/promotions.js';
import { versions } from '../../repos/versions.js';
import { headOf } from '../audit-anchors.js';
import { listDeployments } from '../deployments.js';
import { showDrift } from '../drift.js';
import { hostHistory } from '../fleet.js';
import { verifyAuditLog } from '../integrity.js';
import { versionDetail } from '../models.js';
import { showPromotion } from '../promotions.js';
import { listReviews } from '../reviews.js';
import { listRoots } from '../root-export.js';
import { listUsers } from '../users.js';
import type { Policy } from '../../../api/policy.js';

/** A point of a chart: when, and the value (null where the host had nothing to say). */
export interface Point {
  at: string;
  value: number | null;
}

/**
 * Everything a compliance report says about one environment, drawn from the registry and nothing else,
 * in a fixed order: the same registry and the same question give the same data, so the same report.
 */
export interface ComplianceData {
  environment: { name: string; tier: number; policy: Policy };
  since: string | null;
  /** the audit log's head the report was drawn at: what "as of" means */
  asOf: AuditHead & { at: string | null };
  versions: {
    ref: string;
    digest: string;
    state: string;
    createdBy: string;
    createdAt: string;
    lineage: unknown;
    dependencies: { kind: string; ref: string | null; digest: string; state: string | null }[];
    evaluations: { suite: string; source: string; recordedAt: string; metrics: Record<string, number> }[];
    promotions: {
      id: number;
      state: string;
      requestedBy: string;
      createdAt: string;
      breakGlass: boolean;
      gates: { gate: string; passed: boolean; detail: string }[];
      reason: string | null;
      approvals: { approver: string; decision: string; at: string; keyIds: string[] }[];
    }[];
  }[];
  deployments: { id: number; version: string; sequence: number; bundleId: string; createdAt: string; hosts: { hostId: string; state: string; code: string | null }[] }[];
  incidents: { at: string; kind: string; subject: string; detail: string; resolvedBy: string | null; note: string | null }[];
  reviews: { id: number; kind: string; subject: string; openedAt: string; resolvedAt: string | null; resolvedBy: string | null; note: string | null }[];
  latency: { host: string; points: Point[] }[];
  drift: { version: string; host: string; points: Point[] }[];
  audit: { checked: number; head: AuditHead; problems: { code: string; message: string }[] };
  trust: {
    roots: { version: number; expiresAt: string; roles: Record<string, { threshold: number; keyIds: string[] }> }[];
    people: { name: string; roles: string[]; keyId: string; disabled: boolean }[];
  };
}

const INCIDENTS = new Set(['rollback', 'host_refused', 'host_rolled_back', 'host_unhealthy', 'drift', 'dependency_revoked', 'audit_anchor']);
const HISTORY = 500;

export async function collectCompliance(reg: Registry, actor: Actor, input: { env: string; since?: string }): Promise<ComplianceData> {
  const env = environments.byName(reg.db, input.env);
  if (!env) throw new AirlockError('NOT_FOUND', `There is no environment "${input.env}".`);
  const since = input.since ?? null;
  const after = (at: string) => since === null || at >= since;
  const envPromotions = promotions.list(reg.db, { env: env.name }).sort((a, b) => a.id - b.id);
  const versionIds = [...new Set(envPromotions.map((p) => p.version_id))];
  const envHosts = hosts.list(reg.db).filter((h) => h.env_id === env.id).sort((a, b) => a.host_id.localeCompare(b.host_id));
  const refs = new Set<string>();

  const versionsOut = versionIds
    .map((id) => versions.byId(reg.db, id)!)
    .sort((a, b) => a.model.localeCompare(b.model) || a.number - b.number)
    .map((v) => {
      const d = versionDetail(reg, v);
      refs.add(d.ref);
      return {
        ref: d.ref,
        digest: d.digest,
        state: d.state,
        createdBy: d.createdBy,
        createdAt: d.createdAt,
        lineage: d.manifest.lineage ?? null,
        dependencies: d.dependencies.map((x) => ({ kind: x.kind, ref: x.ref, digest: x.digest, state: x.state })),
        evaluations: d.evaluations.filter((e) => after(e.recordedAt)).map((e) => ({ suite: e.suite, source: e.source, recordedAt: e.recordedAt, metrics: e.metrics })),
        promotions: envPromotions
          .filter((p) => p.version_id === v.id && after(p.requested_at))
          .map((p) => {
            const shown = showPromotion(reg, actor, p.id);
            const evidence = shown.evidence as { gates?: { gate: string; passed: boolean; detail: string }[]; reason?: string };
            return {
              id: p.id,
              state: p.state,
              requestedBy: p.requester,
              createdAt: p.requested_at,
              breakGlass: p.break_glass === 1,
              gates: evidence.gates ?? [],
              reason: evidence.reason ?? null,
              // Who signed, by key: the key ids the signed approvals carry, not the names rows give.
              approvals: approvals.of(reg.db, p.id).map((a) => ({ approver: a.approver, decision: a.decision, at: a.at, keyIds: parseEnvelope(utf8Encode(a.envelope), `approval #${a.id}`).signatures.map((s) => s.keyid) })),
            };
          }),
      };
    });

  const envReviews = listReviews(reg, actor, { all: true })
    .filter((r) => relevant(r.subject, env.name, envPromotions.map((p) => p.id), envHosts.map((h) => h.host_id), refs))
    .filter((r) => after(r.openedAt))
    .sort((a, b) => a.id - b.id);

  const latency = envHosts.map((h) => ({
    host: h.host_id,
    points: hostHistory(reg, actor, h.host_id, HISTORY)
      .filter((r) => after(r.at))
      .map((r) => {
        const p95 = r.slots.flatMap((s) => (s.p95Ms === null ? [] : [s.p95Ms]));
        return { at: r.at, value: p95.length > 0 ? Math.max(...p95) : null };
      }),
  }));

  const drift = [...new Set(versionsOut.map((v) => v.ref.slice(0, v.ref.lastIndexOf('@'))))].flatMap((model) =>
    showDrift(reg, actor, { ref: model, env: env.name, limit: HISTORY }).versions.flatMap((v) =>
      v.hosts.map((h) => ({
        version: `${model}@${v.number}`,
        host: h.host,
        points: h.windows.filter((w) => after(w.closedAt)).map((w) => ({ at: w.closedAt, value: Math.max(0, ...w.features.map((f) => f.statistics.psi ?? 0)) })),
      })),
    ),
  );

  const audit = verifyAuditLog(reg, actor, []);
  const head = headOf(reg);
  const lastEvent = reg.db.get<{ at: string }>({ text: 'SELECT at FROM audit_events WHERE seq = ?', values: [head.seq] });
  return {
    environment: { name: env.name, tier: env.tier, policy: storedPolicy(env) },
    since,
    asOf: { ...head, at: lastEvent?.at ?? null },
    versions: versionsOut,
    deployments: listDeployments(reg, actor)
      .filter((d) => d.environment === env.name && after(d.createdAt))
      .sort((a, b) => a.id - b.id)
      .map((d) => ({ id: d.id, version: d.version, sequence: d.sequence, bundleId: d.bundleId, createdAt: d.createdAt, hosts: d.hosts.map((h) => ({ hostId: h.hostId, state: h.state, code: h.code })) })),
    incidents: envReviews.filter((r) => INCIDENTS.has(r.kind)).map((r) => ({ at: r.openedAt, kind: r.kind, subject: r.subject, detail: r.detail, resolvedBy: r.resolvedBy, note: r.note })),
    reviews: envReviews.map((r) => ({ id: r.id, kind: r.kind, subject: r.subject, openedAt: r.openedAt, resolvedAt: r.resolvedAt, resolvedBy: r.resolvedBy, note: r.note })),
    latency,
    drift,
    audit: { checked: audit.checked, head: audit.head, problems: audit.problems.map((p) => ({ code: p.code, message: p.message })) },
    trust: {
      roots: await listRoots(reg, actor),
      people: listUsers(reg, actor).map((u) => ({ name: u.name, roles: u.roles, keyId: u.keyId, disabled: u.disabled })),
    },
  };
}

/** Whether a review's subject concerns this environment. */
function relevant(subject: string, env: string, promotionIds: number[], hostIds: string[], refs: Set<string>): boolean {
  const [kind, rest = ''] = subject.split(/:(.*)/s);
  switch (kind) {
    case 'promotion':
      return promotionIds.includes(Number(rest));
    case 'host':
      return hostIds.includes(rest);
    case 'version':
      return refs.has(rest);
    case 'active':
      return rest.startsWith(`${env}/`);
    case 'env':
      return rest === env;
    case 'root':
    case 'audit':
      return true;
    default:
      return false;
  }
}
