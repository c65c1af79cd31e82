import {
  AirlockError,
  APPROVAL_PAYLOAD_TYPE,
  ApprovalSchema,
  configDigest,
  roleKeys,
  utf8Decode,
  verifyEnvelope,
  type BundleManifest,
  type Root,
} from '@airlock/shared/common';
import type { ContentStore } from '@airlock/shared/node';
import type { AgentConfig } from '../config.js';
import type { Counters } from '../state/trust.js';

export interface PolicyContext {
  cfg: AgentConfig;
  hostId: string;
  counters: Counters;
  store: ContentStore;
  secret: (name: string) => string | undefined;
}

/**
 * Distinct approver-role keys that signed an approval of exactly this model, version number, digest
 * and resolved config for this host's own environment. (The schema already held the slot's files and
 * runtime to the version manifest whose digest this is.) The bundle's targets are never what approvals
 * are checked against: a bundle that names hosts by id could otherwise carry a staging approval onto a
 * prod host.
 */
function approverCount(slot: BundleManifest['slots'][string], environment: string, root: Root): { signers: number; quorum: number } {
  const trust = roleKeys(root, 'approver');
  const config = configDigest(slot.config);
  const signers = new Set<string>();
  let quorum = 0;
  for (const env of slot.approvals) {
    try {
      const { payload, signedBy } = verifyEnvelope(env, APPROVAL_PAYLOAD_TYPE, { ...trust, threshold: 1 }, 'approval');
      const approval = ApprovalSchema.parse(JSON.parse(utf8Decode(payload)));
      const matches =
        approval.decision === 'approve' &&
        approval.environment === environment &&
        approval.model === slot.model.name &&
        approval.version === slot.model.version &&
        approval.versionDigest === slot.model.digest &&
        approval.configDigest === config;
      if (matches) {
        for (const k of signedBy) signers.add(k);
        quorum = Math.max(quorum, approval.quorum);
      }
    } catch {
      // An approval that does not verify or does not match simply does not count.
    }
  }
  return { signers: signers.size, quorum };
}

/**
 * The host's own checks, run after signatures and expiry and before any blob is copied, in DESIGN §5
 * order: channel sequence, targeting, floors, approvals; then what this host needs to run it.
 */
export function hostPolicy(ctx: PolicyContext) {
  return async (m: BundleManifest, root: Root): Promise<void> => {
    const last = ctx.counters.channels[m.channel] ?? 0;
    if (m.sequence <= last) {
      throw new AirlockError('BUNDLE_REPLAYED', `Bundle #${m.sequence} on channel ${m.channel} is not newer than #${last}, which this host already took.`);
    }
    if (m.targets.hosts.length > 0 && !m.targets.hosts.includes(ctx.hostId)) {
      throw new AirlockError('NOT_TARGETED', `The bundle names hosts ${m.targets.hosts.join(', ')}; this is ${ctx.hostId}.`);
    }
    if (m.targets.environment !== undefined && m.targets.environment !== ctx.cfg.environment) {
      throw new AirlockError('NOT_TARGETED', `The bundle is for environment ${m.targets.environment}; this host is in ${ctx.cfg.environment ?? 'no environment'}.`);
    }
    for (const name of Object.keys(m.slots)) {
      if (!ctx.cfg.slots[name]) throw new AirlockError('NOT_TARGETED', `The bundle fills slot "${name}", which this host does not have.`);
    }
    for (const [name, slot] of Object.entries(m.slots)) {
      const floor = ctx.counters.floors[name] ?? 0;
      if (slot.model.version < floor) {
        throw new AirlockError('BELOW_FLOOR', `${slot.model.name}@${slot.model.version} is below slot ${name}'s security floor (version ${floor}).`);
      }
    }
    if (ctx.cfg.requireApprovals) {
      const environment = ctx.cfg.environment;
      if (environment === undefined) {
        throw new AirlockError('APPROVALS_INSUFFICIENT', 'This host requires approvals but has no environment configured, so no approval can be for it: set `environment` in its configuration.');
      }
      for (const [name, slot] of Object.entries(m.slots)) {
        // The version number is bound here too: the floor above compared the number the approvals sign.
        // The approvals name their environment's quorum; the host asks for that many, and at least the root's threshold.
        const got = approverCount(slot, environment, root);
        const needed = Math.max(root.roles.approver.threshold, got.quorum);
        if (got.signers < needed) throw new AirlockError('APPROVALS_INSUFFICIENT', `Slot ${name} carries ${got.signers} valid approval(s) of ${slot.model.name}@${slot.model.version}; this host requires ${needed}.`);
      }
    }
    for (const b of m.blobs) {
      if (!b.included && !(await ctx.store.has(b.digest))) {
        throw new AirlockError('BUNDLE_BLOB_MISSING', `The bundle leaves out blob ${b.digest}, which this host does not hold: export a full bundle.`);
      }
    }
    for (const [name, slot] of Object.entries(m.slots)) {
      for (const s of slot.secrets) {
        if (ctx.secret(s) === undefined) throw new AirlockError('CONFIG_INVALID', `Slot ${name} needs secret ${s}, which is not defined on this host.`);
      }
    }
  };
}
