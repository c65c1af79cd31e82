import { AirlockError, generateKeyPair, keyIdOf, proposeRootDraft, ROLE_NAMES, toBase64, type RoleName } from '@airlock/shared/common';
import { sealKey } from '@airlock/shared/node';
import { actorFor, authorize, type Actor, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { ROLES, type Role } from '../../api/enums.js';
import { users } from '../repos/users.js';
import { currentRoot } from '../roots.js';
import { writeDraft } from './root-ceremony.js';
import { addKeyToRoles, changeRootAlone } from './roots.js';

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

export interface RevokeResult extends UserSummary {
  /** the root published without the person's key, when the acting admin could sign it alone */
  rootVersion: number | null;
  /** otherwise the draft written for a root ceremony that drops the key */
  draft: string | null;
  /** roles of the root of trust the key left (or leaves once the draft is published) */
  rootRoles: RoleName[];
}

/**
 * Someone leaves: their account is disabled (they can no longer sign in, and the audit chain accepts
 * no later event from their key) and their key leaves every role of the root of trust, so hosts
 * refuse what it alone signs once the new root reaches them. With a root that needs more than the
 * acting admin's signature, the new root is written as a draft for a ceremony instead (`draft`).
 */
export async function revokeUser(reg: Registry, actor: SigningActor, input: { name: string; reason: string; draft?: string }): Promise<RevokeResult> {
  authorize(actor, 'user.revoke');
  const user = users.byName(reg.db, input.name);
  if (!user) throw new AirlockError('NOT_FOUND', `There is no user "${input.name}".`);
  if (user.disabled_at) throw new AirlockError('CONFLICT', `User "${input.name}" was already revoked at ${user.disabled_at}.`);
  if (user.id === actor.user.id) throw new AirlockError('FORBIDDEN', 'You cannot revoke yourself; another admin must.');
  const { root } = await currentRoot(reg.home);
  const rootRoles = ROLE_NAMES.filter((r) => root.roles[r].keyids.includes(user.key_id));
  let rootVersion: number | null = null;
  let draft: string | null = null;
  if (rootRoles.length > 0) {
    const changed = await changeRootAlone(reg, actor, { add: [], remove: rootRoles.map((role) => ({ role, keyId: user.key_id })), thresholds: {}, keepThresholds: true });
    if ('root' in changed) rootVersion = changed.root.version;
    else if (!input.draft) {
      throw new AirlockError('USAGE', `${input.name}'s key is in the ${rootRoles.join(' and ')} role of a root that needs ${root.roles.root.threshold} root signature(s): pass --draft FILE to write the ceremony's draft; nothing was changed.`);
    } else {
      draft = input.draft;
      await writeDraft(draft, proposeRootDraft(changed.previous, changed.proposed), { exclusive: true });
    }
  }
  return mutate(reg, actor, 'user.revoke', () => {
    users.disable(reg.db, user.id, reg.now());
    const row = users.byId(reg.db, user.id)!;
    return {
      result: { ...summary(row), rootVersion, draft, rootRoles },
      audit: { action: 'user.revoke', subject: `user:${user.name}`, details: { reason: input.reason, keyId: user.key_id, rootRoles, rootVersion, draft } },
    };
  });
}
