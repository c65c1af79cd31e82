import { readFile } from 'node:fs/promises';
import {
  AirlockError,
  buildRoot,
  canonicalJson,
  finishRootDraft,
  fromBase64,
  keyIdOf,
  openRootDraft,
  parseRootDraft,
  proposeRootDraft,
  rootChanges,
  rootDraftProgress,
  signRootDraft,
  toTimestamp,
  ROLE_NAMES,
  type DraftProgress,
  type RoleName,
  type Root,
  type RootChange,
  type RootDraft,
  type Signer,
} from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import { authorize, type Actor, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { users } from '../repos/users.js';
import { currentRoot, writeRoot } from '../roots.js';

/** A key joining a role: a public key (from a key file) or a registry user's current key. */
export type KeySource = { role: RoleName; publicKey: string } | { role: RoleName; user: string };

export interface RootProposal {
  add: KeySource[];
  remove: ({ role: RoleName; keyId: string } | { role: RoleName; user: string })[];
  thresholds: Partial<Record<RoleName, number>>;
  expiresDays?: number;
}

export interface DraftSummary extends DraftProgress {
  path: string;
  previousVersion: number;
  changes: RootChange[];
  expiresAt: string;
}

function userNamed(reg: Registry, name: string, role: RoleName) {
  const user = users.byName(reg.db, name);
  if (!user) throw new AirlockError('NOT_FOUND', `There is no user "${name}" whose key the ${role} role could gain or lose.`);
  return user;
}

function publicKeyOf(reg: Registry, source: KeySource): Uint8Array {
  if ('publicKey' in source) return fromBase64(source.publicKey, 'public key');
  const user = userNamed(reg, source.user, source.role);
  if (user.disabled_at) throw new AirlockError('INVALID_INPUT', `User "${source.user}" was disabled at ${user.disabled_at}; their key cannot join a role.`);
  return fromBase64(user.public_key, `key of ${user.name}`);
}

/** The next root: the current one with the proposal's keys added and removed, thresholds and expiry set. */
export function nextRoot(
  current: Root,
  proposal: RootProposal & { remove: { role: RoleName; keyId: string }[]; keepThresholds?: boolean },
  keyOf: (s: KeySource) => Uint8Array,
  nowMs: number,
): Root {
  const publicKeys = new Map(Object.entries(current.keys).map(([id, k]) => [id, fromBase64(k.public)]));
  const members = new Map(ROLE_NAMES.map((r) => [r, new Set(current.roles[r].keyids)]));
  for (const source of proposal.add) {
    const key = keyOf(source);
    const keyId = keyIdOf(key);
    publicKeys.set(keyId, key);
    members.get(source.role)!.add(keyId);
  }
  for (const { role, keyId } of proposal.remove) {
    if (!members.get(role)!.delete(keyId)) throw new AirlockError('NOT_FOUND', `Key ${keyId.slice(0, 16)}… is not in the ${role} role of root version ${current.version}.`);
  }
  const used = [...publicKeys.keys()].filter((id) => ROLE_NAMES.some((r) => members.get(r)!.has(id)));
  const thresholds: Partial<Record<RoleName, number>> = {};
  for (const role of ROLE_NAMES) {
    const count = members.get(role)!.size;
    // A role that loses keys keeps its threshold where it can, never silently above what it holds; a
    // change nobody reviews key by key (a revocation) may not lower it at all.
    const threshold = proposal.thresholds[role] ?? Math.min(current.roles[role].threshold, count);
    if (count === 0) throw new AirlockError('INVALID_INPUT', `The proposal leaves the ${role} role without a key; every role needs at least one.`);
    if (proposal.keepThresholds && threshold < current.roles[role].threshold) {
      throw new AirlockError('INVALID_INPUT', `This would leave the ${role} role ${count} key(s) for its threshold of ${current.roles[role].threshold}, so the threshold would fall. Lower it first by a ceremony that says so (\`airlock root propose --threshold ${role}=${count} …\`).`);
    }
    if (threshold > count) throw new AirlockError('INVALID_INPUT', `The ${role} threshold ${threshold} exceeds the ${count} key(s) the role would hold.`);
    thresholds[role] = threshold;
  }
  return buildRoot({
    version: current.version + 1,
    expiresAt: proposal.expiresDays === undefined ? current.expiresAt : toTimestamp(nowMs + proposal.expiresDays * 86_400_000),
    keys: used.map((id) => ({ publicKey: publicKeys.get(id)!, roles: ROLE_NAMES.filter((r) => members.get(r)!.has(id)) })),
    thresholds,
  });
}

export async function readDraft(path: string): Promise<RootDraft> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new AirlockError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot read the root draft ${path}: ${err.code ?? err.message}.`);
  });
  return parseRootDraft(text, `root draft ${path}`);
}

export async function writeDraft(path: string, draft: RootDraft, opts: { exclusive: boolean }): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(draft, null, 2)}\n`, opts).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${path} already exists; choose another file for the draft.`);
    throw new AirlockError('IO_ERROR', `Cannot write ${path}: ${err.code ?? err.message}. Check that the folder exists and is writable.`);
  });
}

export function describeDraft(path: string, draft: RootDraft): DraftSummary {
  const { previous, proposed } = openRootDraft(draft);
  return { path, previousVersion: previous.version, changes: rootChanges(previous, proposed), expiresAt: proposed.expiresAt, ...rootDraftProgress(draft) };
}

/**
 * Adds a signature to the draft file in place (offline with a key file, or with a user's unlocked
 * key), once the draft is shown to follow `trusted`: the registry's newest root, or the signer's own copy.
 */
export async function signDraftFile(path: string, signer: Signer, trusted: Root): Promise<DraftSummary> {
  const signed = signRootDraft(await readDraft(path), signer, trusted);
  await writeDraft(path, signed, { exclusive: false });
  return describeDraft(path, signed);
}

/** `airlock root propose`: writes the draft of the next root version; nothing in the registry changes yet. */
export async function proposeRoot(reg: Registry, actor: Actor, proposal: RootProposal & { out: string }): Promise<DraftSummary> {
  authorize(actor, 'root.publish');
  const current = await currentRoot(reg.home);
  const remove = proposal.remove.map((r) => ('user' in r ? { role: r.role, keyId: userNamed(reg, r.user, r.role).key_id } : r));
  const proposed = nextRoot(current.root, { ...proposal, remove }, (s) => publicKeyOf(reg, s), Date.parse(reg.now()));
  if (rootChanges(current.root, proposed).length === 0) throw new AirlockError('INVALID_INPUT', 'The proposal changes nothing: add or remove a key, or change a threshold or the expiry.');
  const draft = proposeRootDraft(current.envelope, proposed);
  await writeDraft(proposal.out, draft, { exclusive: true });
  return describeDraft(proposal.out, draft);
}

/**
 * `airlock root publish`: the draft becomes the registry's newest root once it carries the threshold
 * of the old root's keys and of the new root's own, checked exactly as hosts will. A draft proposed
 * against a root that is no longer the newest is stale: its signers agreed to a change from another root.
 */
export async function publishRoot(reg: Registry, actor: SigningActor, opts: { draft: string }): Promise<DraftSummary & { rootPath: string }> {
  authorize(actor, 'root.publish');
  const draft = await readDraft(opts.draft);
  const current = await currentRoot(reg.home);
  const { previous } = openRootDraft(draft);
  if (previous.version !== current.root.version || canonicalJson(previous) !== canonicalJson(current.root)) {
    throw new AirlockError('CONFLICT', `The draft replaces root version ${previous.version}, but this registry's newest root is version ${current.root.version}${previous.version === current.root.version ? ' with other keys' : ''}. Propose again from the newest root.`);
  }
  const { root, envelope } = finishRootDraft(draft, Date.parse(reg.now()));
  const summary = describeDraft(opts.draft, draft);
  const rootPath = await writeRoot(reg.home, root, envelope);
  return mutate(reg, actor, 'root.publish', () => ({
    result: { ...summary, rootPath },
    audit: {
      action: 'root.publish',
      subject: `root:${root.version}`,
      details: { version: root.version, changes: summary.changes, signedBy: { previous: summary.previous.signed, proposed: summary.proposed.signed } },
    },
  }));
}
