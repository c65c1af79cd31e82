/**
 * The closed vocabularies the API speaks: roles, states and kinds. They are defined here, once, so
 * that the registry (which stores them), the CLI and the renderer (which show them) agree by type.
 */
export { MODEL_KINDS } from '@airlock/shared/common';

export const ROLES = ['admin', 'ml-engineer', 'approver', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const VERSION_STATES = ['registered', 'validated', 'deprecated', 'retired', 'quarantined', 'revoked'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export const PROMOTION_STATES = [
  'requested',
  'gates_failed',
  'awaiting_approval',
  'approved',
  'active',
  'superseded',
  'rolled_back',
  'rejected',
  'withdrawn',
  'expired',
] as const;
export type PromotionState = (typeof PROMOTION_STATES)[number];

/** executed: the registry ran the version's declared suite; reported: someone recorded results from elsewhere. */
export const EVALUATION_SOURCES = ['executed', 'reported'] as const;
export type EvaluationSource = (typeof EVALUATION_SOURCES)[number];

export const DEPLOYMENT_HOST_STATES = ['pending', 'applied', 'healthy', 'rolled_back', 'refused'] as const;
export type DeploymentHostState = (typeof DEPLOYMENT_HOST_STATES)[number];

/** Review items that come round by the calendar (an environment's `reviews` policy), not by an event. */
export const DUE_KINDS = ['periodic_review', 'approval_renewal', 'root_expiry', 'rollback_drill'] as const;
export type DueKind = (typeof DUE_KINDS)[number];
export const REVIEW_KINDS = ['rollback', 'dependency_revoked', 'host_refused', 'host_rolled_back', 'host_unhealthy', 'audit_anchor', 'drift', ...DUE_KINDS] as const;
/** What resolving a drift review decides: the drift is accepted, the version is to be retrained, or it was rolled back. */
export const DRIFT_DECISIONS = ['accept', 'retrain', 'rollback'] as const;
export type DriftDecision = (typeof DRIFT_DECISIONS)[number];
export type ReviewKind = (typeof REVIEW_KINDS)[number];
