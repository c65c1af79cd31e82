import { buildRoot, fromBase64, keyIdOf, signRoot, type RoleName, type Root } from '@airlock/shared/common';
import type { SigningActor } from '../auth.js';
import type { Registry } from '../context.js';
import { currentRoot, writeRoot } from '../roots.js';

/**
 * Signs the next root version with the acting user's key when it meets the root threshold alone (the
 * default 1-of-1 set-up). Otherwise the key joins its roles only through a root ceremony (`airlock
 * root propose`), and the roles still to join are returned as pending.
 */
export async function addKeyToRoles(reg: Registry, actor: SigningActor, publicKey: Uint8Array, roles: RoleName[]): Promise<{ root: Root } | { pending: RoleName[] } | null> {
  const { root } = await currentRoot(reg.home);
  const keyId = keyIdOf(publicKey);
  const missing = roles.filter((r) => !root.roles[r].keyids.includes(keyId));
  if (missing.length === 0) return null;
  if (!root.roles.root.keyids.includes(actor.signer.keyId) || root.roles.root.threshold > 1) return { pending: missing };
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
  return { root: next };
}
