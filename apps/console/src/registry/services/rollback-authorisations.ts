import { randomBytes } from 'node:crypto';
import {
  AirlockError,
  ROLLBACK_AUTHORISATION_PAYLOAD_TYPE,
  ROLLBACK_AUTHORISATION_SCHEMA,
  RollbackAuthorisationSchema,
  signEnvelope,
  toTimestamp,
  utf8Encode,
  type Envelope,
  type RollbackAuthorisation,
} from '@airlock/shared/common';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { MAX_VALID_HOURS } from '../../api/calls/fleet.js';
import type { Registry } from '../context.js';
import { readRoots } from '../roots.js';
import { requireEnvironment } from './environments.js';
import { requireHost } from './hosts.js';
import { refOf, resolveVersion } from './refs.js';

const BARRED_STATES = new Set(['revoked', 'quarantined']);

/**
 * An approver's signed permission for hosts to roll a slot back to one exact version below its security
 * floor, once each, until it expires. Hosts check it against the approver role of their root.
 */
export async function authoriseRollback(
  reg: Registry,
  actor: SigningActor,
  input: { version: string; slot?: string; env?: string; hosts?: string[]; reason: string; validHours: number },
): Promise<{ authorisation: RollbackAuthorisation; envelope: Envelope }> {
  authorize(actor, 'rollback.authorise');
  const newest = (await readRoots(reg.home)).at(-1)!.root;
  if (!newest.roles.approver.keyids.includes(actor.signer.keyId)) {
    throw new AirlockError('FORBIDDEN', `${actor.user.name}'s key is not an approver key of root version ${newest.version}; hosts would not accept the authorisation.`);
  }
  if (!(input.validHours > 0 && input.validHours <= MAX_VALID_HOURS)) {
    throw new AirlockError('USAGE', `An authorisation may be valid for 1 to ${MAX_VALID_HOURS} hours, not ${input.validHours}.`);
  }
  return mutate(reg, actor, 'rollback.authorise', () => {
    const v = resolveVersion(reg, input.version);
    if (BARRED_STATES.has(v.state)) throw new AirlockError('ILLEGAL_TRANSITION', `${refOf(v)} is ${v.state}; hosts may not be authorised to go back to it.`);
    if (!input.env && !input.hosts?.length) throw new AirlockError('USAGE', 'Name the hosts (--hosts) or the environment (--env) the authorisation is for.');
    const environment = input.env ? requireEnvironment(reg, input.env).name : undefined;
    const hosts = (input.hosts ?? []).map((h) => requireHost(reg, h).host_id);
    const now = reg.now();
    const authorisation = RollbackAuthorisationSchema.parse({
      schema: ROLLBACK_AUTHORISATION_SCHEMA,
      id: randomBytes(16).toString('hex'),
      targets: { hosts, ...(environment ? { environment } : {}) },
      slot: input.slot ?? v.model,
      model: v.model,
      version: v.number,
      versionDigest: v.digest,
      reason: input.reason,
      issuedBy: actor.user.name,
      issuedAt: now,
      expiresAt: toTimestamp(Date.parse(now) + input.validHours * 3_600_000),
    } satisfies RollbackAuthorisation);
    const envelope = signEnvelope(ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, utf8Encode(JSON.stringify(authorisation)), [actor.signer]);
    const { id, targets, slot, expiresAt, reason } = authorisation;
    return {
      result: { authorisation, envelope },
      audit: { action: 'rollback.authorise', subject: `version:${refOf(v)}`, details: { id, targets, slot, digest: v.digest, expiresAt, reason } },
    };
  });
}
