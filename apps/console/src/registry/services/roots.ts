import { AirlockError, buildRoot, fromBase64, keyIdOf, signRoot, type RoleName, type Root } from '@airlock/shared/common';
import type { SigningActor } from '../auth.js';
import type { Registry } from '../context.js';
import { currentRoot, writeRoot } from '../roots.js';

/**
 * Signs the next root version with the acting user's key, which must meet the root threshold alone
 * (the default 1-of-1 set-up). With more root keys, rotation is an offline ceremony instead.
 */
export async function addKeyToRoles(reg: Registry, actor: SigningActor, publicKey: Uint8Array, roles: RoleName[]): Promise<Root | null> {
  const { root } = await currentRoot(reg.home);
  const keyId = keyIdOf(publicKey);
  const missing = roles.filter((r) => !root.roles[r].keyids.includes(keyId));
  if (missing.length === 0) return null;
  if (!root.roles.root.keyids.includes(actor.signer.keyId) || root.roles.root.threshold > 1) {
    throw new AirlockError('FORBIDDEN', `Adding a key to the ${missing.join(' and ')} role needs ${root.roles.root.threshold} root key(s); ${actor.user.name}'s key cannot sign root version ${root.version + 1} alone.`);
  }
  const keys = new Map<string, { publicKey: Uint8Array; roles: RoleName[] }>();
  for (const [id, k] of Object.entries(root.keys)) {
    keys.set(id, { publicKey: fromBase64(k.public), roles: (['root', 'release', 'approver'] as const).filter((r) => root.roles[r].keyids.includes(id)) });
  }
  const entry = keys.get(keyId) ?? { publicKey, roles: [] };
  entry.roles = [...new Set([...entry.roles, ...missing])];
  keys.set(keyId, entry);
  const next = buildRoot({
    version: root.version + 1,
    expiresAt: root.expiresAt,
    keys: [...keys.values()],
    thresholds: { root: root.roles.root.threshold, release: root.roles.release.threshold, approver: root.roles.approver.threshold },
  });
  await writeRoot(reg.home, next, signRoot(next, [actor.signer]));
  return next;
}
