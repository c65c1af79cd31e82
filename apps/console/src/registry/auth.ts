import { AirlockError, isAirlockError, signerFromSecretKey, type Signer } from '@airlock/shared/common';
import { openKey, parseKeyFile } from '@airlock/shared/node';
import type { Registry } from './context.js';
import { SealCheck } from './integrity/seals-check.js';
import { needsAdoption } from './integrity/adoption.js';
import type { Role } from '../api/enums.js';
import { PERMISSIONS, type Permission } from '../api/permissions.js';
import { users, type UserRow } from './repos/users.js';

/** Who is calling. Reads need only a known user; mutations need the user's key, unlocked. */
export interface Actor {
  user: UserRow;
}
export interface SigningActor extends Actor {
  signer: Signer;
}

export function authorize(actor: Actor, permission: Permission): void {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  if (!actor.user.roles.some((r) => allowed.includes(r))) {
    throw new AirlockError('FORBIDDEN', `${actor.user.name} (${actor.user.roles.join(', ')}) may not ${permission}; it needs one of: ${allowed.join(', ')}.`);
  }
}

/**
 * The acting user. Their roles count only as sealed by the audited change that set them; `verify`
 * alone may run for a user whose row does not hold (`sealed: false`), since it is how that is found.
 */
export function actorFor(reg: Registry, name: string | undefined, opts: { sealed?: boolean } = {}): Actor {
  if (!name) throw new AirlockError('UNAUTHENTICATED', 'Name the acting user with --user or AIRLOCK_USER.');
  const user = users.byName(reg.db, name);
  if (!user) throw new AirlockError('UNAUTHENTICATED', `There is no user "${name}" in this registry.`);
  if (user.disabled_at) throw new AirlockError('UNAUTHENTICATED', `User "${name}" was disabled at ${user.disabled_at}.`);
  if (opts.sealed !== false) {
    if (needsAdoption(reg)) {
      throw new AirlockError('INTEGRITY_FAILED', 'This registry was written by an Airlock that did not seal its rows. Check it with `airlock audit verify`, then an admin holding the root key runs `airlock audit adopt` once.');
    }
    new SealCheck(reg).assert('users', [user.id]);
  }
  return { user };
}

/** Unlocks the acting user's key with their passphrase: the proof of identity for every mutation. */
export async function unlock(reg: Registry, name: string | undefined, passphrase: string, opts: { sealed?: boolean } = {}): Promise<SigningActor> {
  const actor = actorFor(reg, name, opts);
  const pair = await openKey(parseKeyFile(actor.user.key_file, `key of ${actor.user.name}`), passphrase).catch((err: unknown) => {
    if (isAirlockError(err, 'KEY_PASSPHRASE_WRONG')) throw new AirlockError('KEY_PASSPHRASE_WRONG', `The passphrase does not open ${actor.user.name}'s key. Check it and try again.`);
    throw err;
  });
  return { ...actor, signer: signerFromSecretKey(pair.secretKey) };
}
