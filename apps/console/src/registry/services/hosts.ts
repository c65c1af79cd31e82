import { z } from 'zod';
import {
  AirlockError,
  ENROLLMENT_PAYLOAD_TYPE,
  EnrollmentSchema,
  fromBase64,
  keyIdOf,
  parseEnvelope,
  utf8Decode,
  verifyEnvelope,
  type Enrollment,
} from '@airlock/shared/common';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { hosts, type HostRow } from '../repos/hosts.js';
import { requireEnvironment } from './environments.js';
import { storedJson } from '../db/stored.js';

/** Reads an enrollment envelope: it must be signed by the very key it presents. */
export function readEnrollment(bytes: Uint8Array, what: string): Enrollment {
  const env = parseEnvelope(bytes, what);
  let claimed: Enrollment;
  try {
    claimed = EnrollmentSchema.parse(JSON.parse(utf8Decode(fromBase64(env.payload))));
  } catch (err) {
    throw new AirlockError('INVALID_INPUT', `${what} is not an enrollment request: ${err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message}`);
  }
  const key = fromBase64(claimed.publicKey);
  verifyEnvelope(env, ENROLLMENT_PAYLOAD_TYPE, { keys: new Map([[keyIdOf(key), key]]), keyIds: [keyIdOf(key)], threshold: 1 }, what);
  return claimed;
}

export function requireHost(reg: Registry, hostId: string): HostRow {
  const h = hosts.active(reg.db, hostId);
  if (!h) throw new AirlockError('HOST_UNKNOWN', `There is no enrolled host "${hostId}".`);
  return h;
}

/**
 * Enrolls a host from its signed request. Enrolling the same host with the same key again only refreshes
 * its facts; with a different key it is refused until an admin revokes the old one.
 */
export function enrollHost(reg: Registry, actor: SigningActor, bytes: Uint8Array, what = 'enrollment request') {
  const e = readEnrollment(bytes, what);
  const keyId = keyIdOf(fromBase64(e.publicKey));
  return mutate(reg, actor, 'host.enroll', () => {
    const existing = hosts.active(reg.db, e.hostId);
    if (existing && existing.key_id !== keyId) {
      throw new AirlockError('HOST_KEY_CHANGED', `Host ${e.hostId} is enrolled with another key (${existing.key_id.slice(0, 12)}…); an admin must revoke it before it can enroll with a new one.`);
    }
    if (existing) {
      hosts.facts(reg.db, existing.id, JSON.stringify(e.facts));
      return { result: { hostId: e.hostId, keyId, created: false }, audit: { action: 'host.refresh', subject: `host:${e.hostId}`, details: { facts: e.facts } } };
    }
    hosts.insert(reg.db, { host_id: e.hostId, key_id: keyId, public_key: e.publicKey, labels: JSON.stringify(e.labels), facts: JSON.stringify(e.facts), enrolled_at: reg.now() });
    return { result: { hostId: e.hostId, keyId, created: true }, audit: { action: 'host.enroll', subject: `host:${e.hostId}`, details: { keyId, labels: e.labels, facts: e.facts } } };
  });
}

export function assignHost(reg: Registry, actor: SigningActor, hostId: string, envName: string, labels?: Record<string, string>) {
  return mutate(reg, actor, 'host.enroll', () => {
    const h = requireHost(reg, hostId);
    const env = requireEnvironment(reg, envName);
    const merged = { ...storedJson<Record<string, string>>(h.labels, `host ${hostId}'s labels`), ...labels };
    hosts.assign(reg.db, h.id, env.id, JSON.stringify(merged));
    return { result: { hostId, environment: envName, labels: merged }, audit: { action: 'host.assign', subject: `host:${hostId}`, details: { environment: envName, labels: merged } } };
  });
}

export function revokeHost(reg: Registry, actor: SigningActor, hostId: string, reason: string) {
  return mutate(reg, actor, 'host.revoke', () => {
    const h = requireHost(reg, hostId);
    hosts.revoke(reg.db, h.id, reg.now());
    return { result: { hostId, revoked: true as const }, audit: { action: 'host.revoke', subject: `host:${hostId}`, details: { keyId: h.key_id, reason } } };
  });
}

export function listHosts(reg: Registry, _actor: Actor) {
  return hosts.list(reg.db).map((h) => ({
    hostId: h.host_id,
    environment: h.environment,
    labels: storedJson<Record<string, string>>(h.labels, `host ${h.host_id}'s labels`),
    keyId: h.key_id,
    enrolledAt: h.enrolled_at,
    lastSeen: h.last_seen,
  }));
}
