import { randomBytes } from 'node:crypto';
import {
  AirlockError,
  ROLLBACK_AUTHORISATION_PAYLOAD_TYPE,
  ROLLBACK_AUTHORISATION_SCHEMA,
  RollbackAuthorisationSchema,
  canonicalJson,
  parseVersionedJson,
  roleKeys,
  signEnvelope,
  verifyEnvelope,
  toTimestamp,
  utf8Encode,
  type Envelope,
  type RollbackAuthorisation,
} from '@airlock/shared/common';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { sql } from '../db/sql.js';
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

/**
 * A second (third…) approver adds their signature to an authorisation, for a root whose approver role
 * needs more than one: hosts count distinct approver keys against the threshold. The authorisation
 * must already carry a valid approver signature, name a version the registry holds with that digest,
 * and not have expired; nothing in it changes but its signatures.
 */
export async function cosignRollbackAuthorisation(reg: Registry, actor: SigningActor, envelope: Envelope): Promise<{ authorisation: RollbackAuthorisation; envelope: Envelope; signatures: number; threshold: number }> {
  authorize(actor, 'rollback.authorise');
  const newest = (await readRoots(reg.home)).at(-1)!.root;
  if (!newest.roles.approver.keyids.includes(actor.signer.keyId)) {
    throw new AirlockError('FORBIDDEN', `${actor.user.name}'s key is not an approver key of root version ${newest.version}; hosts would not count the signature.`);
  }
  const trust = roleKeys(newest, 'approver');
  const { payload, signedBy } = verifyEnvelope(envelope, ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, { ...trust, threshold: 1 }, 'rollback authorisation');
  const authorisation = parseVersionedJson(payload, { schemaId: ROLLBACK_AUTHORISATION_SCHEMA, schema: RollbackAuthorisationSchema, what: 'rollback authorisation', invalid: 'AUTHORISATION_INVALID', unsupported: 'AUTHORISATION_INVALID' });
  if (signedBy.includes(actor.signer.keyId)) throw new AirlockError('APPROVAL_DUPLICATE', `${actor.user.name} already signed authorisation ${authorisation.id}; another approver must co-sign it.`);
  if (Date.parse(authorisation.expiresAt) <= Date.parse(reg.now())) throw new AirlockError('AUTHORISATION_EXPIRED', `Authorisation ${authorisation.id} expired at ${authorisation.expiresAt}; ask for a new one.`);
  // Only what this registry issued, as it issued it: an authorisation signed out of band by one
  // approver key (for any targets, for years) must not gather a second signature here.
  const issued = reg.db.get<{ key_id: string; details: string }>(sql`SELECT key_id, details FROM audit_events WHERE action = 'rollback.authorise' AND json_extract(details, '$.id') = ${authorisation.id}`);
  const recorded = issued ? (JSON.parse(issued.details) as { expiresAt?: string; slot?: string; targets?: unknown }) : null;
  if (!issued || !signedBy.includes(issued.key_id) || recorded?.expiresAt !== authorisation.expiresAt || recorded.slot !== authorisation.slot || canonicalJson(recorded.targets) !== canonicalJson(authorisation.targets)) {
    throw new AirlockError('AUTHORISATION_INVALID', `Authorisation ${authorisation.id} is not one this registry issued (\`airlock authorise-rollback\` records each): do not co-sign it.`);
  }
  return mutate(reg, actor, 'rollback.authorise', () => {
    const v = resolveVersion(reg, `${authorisation.model}@${authorisation.version}`);
    if (v.digest !== authorisation.versionDigest) throw new AirlockError('AUTHORISATION_INVALID', `Authorisation ${authorisation.id} names ${refOf(v)} with digest ${authorisation.versionDigest}, but this registry's ${refOf(v)} is ${v.digest}.`);
    if (BARRED_STATES.has(v.state)) throw new AirlockError('ILLEGAL_TRANSITION', `${refOf(v)} is ${v.state}; hosts may not be authorised to go back to it.`);
    const own = signEnvelope(ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, payload, [actor.signer]).signatures[0]!;
    const cosigned = { ...envelope, signatures: [...envelope.signatures, own] };
    const signatures = signedBy.length + 1;
    return {
      result: { authorisation, envelope: cosigned, signatures, threshold: newest.roles.approver.threshold },
      audit: { action: 'rollback.cosign', subject: `version:${refOf(v)}`, details: { id: authorisation.id, signatures, threshold: newest.roles.approver.threshold } },
    };
  });
}
