import {
  AirlockError,
  ROLLBACK_AUTHORISATION_PAYLOAD_TYPE,
  ROLLBACK_AUTHORISATION_SCHEMA,
  RollbackAuthorisationSchema,
  parseVersionedJson,
  roleKeys,
  trustedNow,
  verifyEnvelope,
  type Envelope,
  type RollbackAuthorisation,
  type Root,
} from '@airlock/shared/common';
import type { ReleaseMeta } from './release.js';

export interface AuthorisationContext {
  root: Root;
  hostId: string;
  environment: string | undefined;
  slot: string;
  /** ids of authorisations this host already used, with their expiry (ms) */
  used: Record<string, number>;
  clockMs: number;
  highWaterMs: number;
  /** how far ahead of the clock `issuedAt` may be; a later one would drag the high-water mark forward */
  maxSkewMs: number;
}

/**
 * Checks a rollback authorisation for going back to `target`, below the slot's floor: the approver
 * threshold of the trusted root, not expired, not used before, naming this host (or its environment),
 * this slot and exactly this model version. Throws with the code of the first check that fails.
 */
export function checkRollbackAuthorisation(envelope: Envelope, target: ReleaseMeta['slot']['model'], ctx: AuthorisationContext): RollbackAuthorisation {
  const { payload } = verifyEnvelope(envelope, ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, roleKeys(ctx.root, 'approver'), 'rollback authorisation');
  const a = parseVersionedJson(payload, {
    schemaId: ROLLBACK_AUTHORISATION_SCHEMA,
    schema: RollbackAuthorisationSchema,
    what: 'rollback authorisation',
    invalid: 'AUTHORISATION_INVALID',
    unsupported: 'AUTHORISATION_INVALID',
  });
  if (Date.parse(a.expiresAt) <= trustedNow(ctx.clockMs, ctx.highWaterMs)) {
    throw new AirlockError('AUTHORISATION_EXPIRED', `Rollback authorisation ${a.id} expired at ${a.expiresAt}; ask an approver for a new one.`);
  }
  if (Date.parse(a.issuedAt) > ctx.clockMs + ctx.maxSkewMs) {
    throw new AirlockError('AUTHORISATION_INVALID', `Rollback authorisation ${a.id} is dated ${a.issuedAt}, ahead of this host's clock by more than the allowed skew. Check the clocks.`);
  }
  if (ctx.used[a.id] !== undefined) {
    throw new AirlockError('AUTHORISATION_USED', `Rollback authorisation ${a.id} was already used on this host; each one allows one rollback.`);
  }
  if (a.targets.hosts.length > 0 && !a.targets.hosts.includes(ctx.hostId)) {
    throw new AirlockError('NOT_TARGETED', `Rollback authorisation ${a.id} names hosts ${a.targets.hosts.join(', ')}; this is ${ctx.hostId}.`);
  }
  if (a.targets.environment !== undefined && a.targets.environment !== ctx.environment) {
    throw new AirlockError('NOT_TARGETED', `Rollback authorisation ${a.id} is for environment ${a.targets.environment}; this host is in ${ctx.environment ?? 'no environment'}.`);
  }
  if (a.slot !== ctx.slot || a.model !== target.name || a.version !== target.version || a.versionDigest !== target.digest) {
    throw new AirlockError(
      'AUTHORISATION_INVALID',
      `Rollback authorisation ${a.id} allows slot ${a.slot} to go back to ${a.model}@${a.version} (${a.versionDigest.slice(0, 19)}…), not slot ${ctx.slot} to ${target.name}@${target.version} (${target.digest.slice(0, 19)}…).`,
    );
  }
  return a;
}
