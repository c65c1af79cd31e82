import { AirlockError, generateKeyPair, keyIdOf, toBase64, type RoleName } from '@airlock/shared/common';
import { sealKey } from '@airlock/shared/node';
import { actorFor, authorize, type Actor, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { ROLES, type Role } from '../../api/enums.js';
import { users } from '../repos/users.js';
import { addKeyToRoles } from './roots.js';

const USER_NAME = /^[a-z][a-z0-9._-]{0,31}$/;

export function parseUserName(name: string): string {
  if (!USER_NAME.test(name)) throw new AirlockError('INVALID_INPUT', `"${name}" is not a user name: use 1–32 lower-case letters, digits or ._- starting with a letter.`);
  return name;
}

export function parseRoles(list: string): Role[] {
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || bad.length > 0) {
    throw new AirlockError('INVALID_INPUT', `Unknown role${bad.length > 1 ? 's' : ''} ${bad.join(', ') || '(none given)'}; roles are ${ROLES.join(', ')}.`);
  }
  return [...new Set(roles)] as Role[];
}

export interface UserSummary {
  name: string;
  roles: Role[];
  keyId: string;
  createdAt: string;
  disabled: boolean;
}

const summary = (u: { name: string; roles: Role[]; key_id: string; created_at: string; disabled_at: string | null }): UserSummary => ({
  name: u.name,
  roles: u.roles,
  keyId: u.key_id,
  createdAt: u.created_at,
  disabled: u.disabled_at !== null,
});

/** Adds a user with their own Ed25519 key, sealed under their passphrase. */
export async function addUser(
  reg: Registry,
  actor: SigningActor,
  input: { name: string; roles: Role[]; passphrase: string },
): Promise<UserSummary & { rootVersion: number | null; pendingRootRoles: RoleName[] }> {
  parseUserName(input.name);
  if (users.byName(reg.db, input.name)) throw new AirlockError('ALREADY_EXISTS', `User "${input.name}" already exists.`);
  const pair = generateKeyPair();
  const keyFile = await sealKey(pair, input.passphrase);
  authorize(actor, 'user.add');
  // Approvers' signatures are checked by hosts against the root's approver role; operators sign bundles.
  const trustRoles = [...(input.roles.includes('approver') ? (['approver'] as const) : []), ...(input.roles.some((r) => r === 'operator' || r === 'admin') ? (['release'] as const) : [])];
  const joined = trustRoles.length > 0 ? await addKeyToRoles(reg, actor, pair.publicKey, [...trustRoles]) : null;
  const rootVersion = joined && 'root' in joined ? joined.root.version : null;
  const pendingRootRoles = joined && 'pending' in joined ? joined.pending : [];
  return mutate(reg, actor, 'user.add', () => {
    if (users.byName(reg.db, input.name)) throw new AirlockError('ALREADY_EXISTS', `User "${input.name}" already exists.`);
    const row = { name: input.name, roles: input.roles, key_id: keyIdOf(pair.publicKey), public_key: toBase64(pair.publicKey), key_file: JSON.stringify(keyFile), created_at: reg.now() };
    users.insert(reg.db, row);
    return {
      result: { ...summary({ ...row, disabled_at: null }), rootVersion, pendingRootRoles },
      audit: { action: 'user.add', subject: `user:${input.name}`, details: { roles: input.roles, keyId: row.key_id, rootVersion, trustRoles } },
    };
  });
}

export function listUsers(reg: Registry, actor: Actor): UserSummary[] {
  actorFor(reg, actor.user.name);
  return users.list(reg.db).map(summary);
}
