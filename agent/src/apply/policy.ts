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
import type { Counters } from '../state/counters.js';

export interface PolicyContext {
  cfg: AgentConfig;
  hostId: string;
  counters: Readonly<Counters>;
  store: ContentStore;
  secret: (name: string) => string | undefined;
}

/**
 * The approvals a slot carries that count, grouped by the promotion and evidence they sign: for each
 * group, its distinct approver-role keys and the quorum it names. An approval counts only for the
 * host's own environment (never the bundle's targets) and exactly the slot's model name, version
 * number, digest and resolved config. (The schema already held the slot's files and runtime to the
 * version manifest whose digest this is.) Approvals of different promotions never add up: each
 * promotion's approvers saw only its evidence, and one that was withdrawn or voided was never enough.
 */
function approvalGroups(slot: BundleManifest['slots'][string], environment: string, root: Root): { signers: number; quorum: number }[] {
  const trust = roleKeys(root, 'approver');
  const config = configDigest(slot.config);
  const groups = new Map<string, { signers: Set<string>; quorum: number }>();
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
        const key = `${approval.promotion} ${approval.evidenceDigest}`;
        const group = groups.get(key) ?? { signers: new Set<string>(), quorum: 0 };
        for (const k of signedBy) group.signers.add(k);
        group.quorum = Math.max(group.quorum, approval.quorum);
        groups.set(key, group);
      }
    } catch {
      // An approval that does not verify or does not match simply does not count.
    }
  }
  return [...groups.values()].map((g) => ({ signers: g.signers.size, quorum: g.quorum }));
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
        // One promotion's approvals must reach the quorum they name, the root's approver threshold and
        // this host's own minimum: the last two are what a registry's database and one approver's key
        // cannot lower.
        const needed = (g: { quorum: number }) => Math.max(root.roles.approver.threshold, g.quorum, ctx.cfg.minApprovals ?? 0);
        const groups = approvalGroups(slot, environment, root).sort((a, b) => b.signers - a.signers);
        if (!groups.some((g) => g.signers >= needed(g))) {
          const best = groups[0] ?? { signers: 0, quorum: 0 };
          throw new AirlockError('APPROVALS_INSUFFICIENT', `Slot ${name} carries ${best.signers} valid approval(s) of ${slot.model.name}@${slot.model.version} from one promotion; this host requires ${needed(best)}.`);
        }
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
