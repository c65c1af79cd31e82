import { AirlockError } from '@airlock/shared/common';
import type { PromotionState, VersionState } from '../api/enums.js';

/** Global version lifecycle (DESIGN §4.3): from → the states it may move to. Revoked is final. */
export const VERSION_TRANSITIONS: Readonly<Record<VersionState, readonly VersionState[]>> = {
  registered: ['validated', 'quarantined', 'revoked'],
  validated: ['deprecated', 'quarantined', 'revoked'],
  deprecated: ['validated', 'retired', 'quarantined', 'revoked'],
  retired: ['revoked'],
  quarantined: ['registered', 'revoked'],
  revoked: [],
};

/** Per-environment promotion lifecycle. `requested` is resolved by the gates in the same transaction. */
export const PROMOTION_TRANSITIONS: Readonly<Record<PromotionState, readonly PromotionState[]>> = {
  requested: ['gates_failed', 'awaiting_approval', 'approved'],
  awaiting_approval: ['approved', 'rejected', 'withdrawn', 'expired'],
  approved: ['active', 'withdrawn', 'expired'],
  active: ['superseded', 'rolled_back'],
  gates_failed: [],
  rejected: [],
  withdrawn: [],
  expired: [],
  superseded: [],
  rolled_back: [],
};

export function assertVersionTransition(from: VersionState, to: VersionState): void {
  if (!VERSION_TRANSITIONS[from].includes(to)) {
    const options = VERSION_TRANSITIONS[from];
    throw new AirlockError(
      'ILLEGAL_TRANSITION',
      `A ${from} version cannot become ${to}${options.length ? `; from ${from} it can become ${options.join(', ')}` : `; ${from} is final`}.`,
      { from, to },
    );
  }
}

export function assertPromotionTransition(from: PromotionState, to: PromotionState): void {
  if (!PROMOTION_TRANSITIONS[from].includes(to)) {
    throw new AirlockError('ILLEGAL_TRANSITION', `A promotion that is ${from.replace('_', ' ')} cannot become ${to.replace('_', ' ')}.`, { from, to });
  }
}
