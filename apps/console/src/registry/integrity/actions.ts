import type { Permission } from '../../api/permissions.js';
import { SEALED_TABLES, type SealedTable } from '../db/tables.js';

/** A kind of row change: a new row, a removed row, or a change to one column. */
export type Write = 'insert' | 'delete' | string;

export interface ActionRule {
  /**
   * the permission the signer needed when the event was signed; 'init' only for the first event;
   * 'adopt' for the one event that adopts a registry begun before seals (the chain check requires a
   * root v1 key for it)
   */
  permission: Permission | 'init' | 'adopt';
  /** what the action may write, per table; anything else in its seals is not what the action does */
  writes: Partial<Record<SealedTable, readonly Write[]>>;
}

const PROMOTION_MOVE = { promotions: ['state', 'updated_at'] } as const;
const ACTIVATION = { activations: ['insert', 'ended_at', 'ended_by'] } as const;
const VERSION_MOVE = { version_status: ['state', 'changed_at', 'flag'], reviews: ['insert'] } as const;

/**
 * Every action the registry records, the permission it needs (auth.ts) and the rows it may write.
 * `airlock verify` holds every event to this: a signer whose roles at the time did not allow the
 * action, or an event that writes what its action never writes, is reported — so a stolen non-admin
 * key cannot sign a policy, a role or a promotion state into the chain under a harmless action.
 */
export const ACTIONS: Readonly<Record<string, ActionRule>> = {
  'registry.init': { permission: 'init', writes: { users: ['insert'] } },
  'registry.adopt': { permission: 'adopt', writes: Object.fromEntries(SEALED_TABLES.map((t) => [t, ['insert']])) },
  'user.add': { permission: 'user.add', writes: { users: ['insert'] } },
  'user.revoke': { permission: 'user.revoke', writes: { users: ['disabled_at'] } },
  'model.import': {
    permission: 'model.import',
    writes: { models: ['insert'], model_tags: ['insert'], versions: ['insert'], version_status: ['insert'], components: ['insert'], dependencies: ['insert'] },
  },
  'model.annotate': { permission: 'model.annotate', writes: { models: ['description'], model_tags: ['insert', 'delete'] } },
  'version.registered': { permission: 'version.quarantine', writes: VERSION_MOVE },
  'version.validated': { permission: 'version.lifecycle', writes: VERSION_MOVE },
  'version.deprecated': { permission: 'version.lifecycle', writes: VERSION_MOVE },
  'version.retired': { permission: 'version.lifecycle', writes: VERSION_MOVE },
  'version.quarantined': { permission: 'version.quarantine', writes: VERSION_MOVE },
  'version.revoked': { permission: 'version.revoke', writes: VERSION_MOVE },
  'env.create': { permission: 'env.create', writes: { environments: ['insert'] } },
  'env.policy': { permission: 'env.create', writes: { environments: ['policy'] } },
  'env.secrets': { permission: 'env.configure', writes: { environments: ['secrets'] } },
  'env.overlay': { permission: 'env.configure', writes: { overlays: ['insert', 'config', 'updated_at'] } },
  'eval.record': { permission: 'eval.record', writes: { evaluations: ['insert'] } },
  'eval.run': { permission: 'eval.record', writes: { evaluations: ['insert'] } },
  'promote.request': { permission: 'promote.request', writes: { promotions: ['insert', 'state', 'updated_at'], ...ACTIVATION } },
  'promote.approve': { permission: 'promote.decide', writes: { approvals: ['insert'], ...PROMOTION_MOVE, ...ACTIVATION } },
  'promote.reject': { permission: 'promote.decide', writes: { approvals: ['insert'], ...PROMOTION_MOVE } },
  'promote.expire': { permission: 'promote.decide', writes: PROMOTION_MOVE },
  'promote.withdraw': { permission: 'promote.withdraw', writes: PROMOTION_MOVE },
  'promote.rollback': { permission: 'rollback', writes: { promotions: ['insert', 'state', 'updated_at'], ...ACTIVATION, reviews: ['insert'] } },
  'review.due': { permission: 'review.due', writes: { reviews: ['insert'] } },
  'review.resolve': { permission: 'review.resolve', writes: { reviews: ['resolved_at', 'resolved_by', 'note'], retraining_requests: ['insert'] } },
  'host.enroll': { permission: 'host.enroll', writes: { hosts: ['insert'] } },
  'host.refresh': { permission: 'host.enroll', writes: { hosts: ['facts'] } },
  'host.assign': { permission: 'host.enroll', writes: { hosts: ['env_id', 'labels'] } },
  'host.revoke': { permission: 'host.revoke', writes: { hosts: ['revoked_at'] } },
  'host.reset': { permission: 'host.reset', writes: {} },
  'deploy.create': { permission: 'deploy.create', writes: { deployments: ['insert'], deployment_hosts: ['insert'], channels: ['insert', 'sequence'] } },
  'bundle.export': { permission: 'bundle.export', writes: {} },
  'reports.import': {
    permission: 'reports.import',
    writes: { reports: ['insert'], deployment_hosts: ['state', 'code', 'updated_at'], hosts: ['last_seen', 'last_status'], reviews: ['insert'] },
  },
  'rollback.authorise': { permission: 'rollback.authorise', writes: {} },
  'rollback.cosign': { permission: 'rollback.authorise', writes: {} },
  'store.gc': { permission: 'store.gc', writes: {} },
  'root.publish': { permission: 'root.publish', writes: {} },
};
