import { finishRootDraft, fromBase64, keyIdOf, proposeRootDraft, signRootDraft, toBase64, type Envelope, type RoleName, type Root } from '@airlock/shared/common';
import type { SigningActor } from '../auth.js';
import type { Registry } from '../context.js';
import { currentRoot, writeRoot } from '../roots.js';
import { nextRoot, type RootProposal } from './root-ceremony.js';

export type RootChange = RootProposal & { remove: { role: RoleName; keyId: string }[]; add: { role: RoleName; publicKey: string }[]; keepThresholds?: boolean };

/**
 * The next root with this change, published at once when the acting user's key alone meets the root
 * threshold of the current root and of the next (the default 1-of-1 set-up). Otherwise nothing is
 * published and the next root is returned, for a ceremony (`airlock root propose|sign|publish`).
 */
export async function changeRootAlone(reg: Registry, actor: SigningActor, change: RootChange): Promise<{ root: Root } | { previous: Envelope; proposed: Root }> {
  const current = await currentRoot(reg.home);
  const proposed = nextRoot(current.root, change, (s) => fromBase64('publicKey' in s ? s.publicKey : '', 'public key'), Date.parse(reg.now()));
  const alone = [current.root, proposed].every((r) => r.roles.root.threshold === 1 && r.roles.root.keyids.includes(actor.signer.keyId));
  if (!alone) return { previous: current.envelope, proposed };
  const { envelope } = finishRootDraft(signRootDraft(proposeRootDraft(current.envelope, proposed), actor.signer, current.root), Date.parse(reg.now()));
  await writeRoot(reg.home, proposed, envelope);
  return { root: proposed };
}

/** A key joins roles it is not in yet: at once when the actor alone may sign the root, else pending a ceremony. */
export async function addKeyToRoles(reg: Registry, actor: SigningActor, publicKey: Uint8Array, roles: RoleName[]): Promise<{ root: Root } | { pending: RoleName[] } | null> {
  const { root } = await currentRoot(reg.home);
  const keyId = keyIdOf(publicKey);
  const missing = roles.filter((r) => !root.roles[r].keyids.includes(keyId));
  if (missing.length === 0) return null;
  const changed = await changeRootAlone(reg, actor, { add: missing.map((role) => ({ role, publicKey: toBase64(publicKey) })), remove: [], thresholds: {} });
  return 'root' in changed ? changed : { pending: missing };
}
