import { z } from 'zod';
import { fromBase64, sha256Hex, toBase64, utf8Encode } from './bytes.js';
import { EnvelopeSchema, KeyIdSchema, pae, type Envelope, type Signer } from './dsse.js';
import { signDetached, verifyDetached } from './ed25519.js';
import { canonicalJson } from './canonical-json.js';
import { AirlockError } from './errors.js';
import { openInitialRoot, parseRoot, ROLE_NAMES, ROOT_PAYLOAD_TYPE, walkRootChain, type Root } from './root.js';

/**
 * A root ceremony's draft: the next root version and the signatures gathered so far, carried from one
 * root-key holder to the next on media, so the root keys never meet. It holds the root it replaces, so
 * every signer sees what changes and the last one can check the thresholds without a registry.
 */
export const ROOT_DRAFT_SCHEMA = 'airlock.root-draft/v1';

const SignatureSchema = z.strictObject({ keyid: KeyIdSchema, sig: z.string().max(200) });

export const RootDraftSchema = z.strictObject({
  schema: z.literal(ROOT_DRAFT_SCHEMA),
  /** the root this draft replaces, as signed */
  previous: EnvelopeSchema,
  /** base64 of the proposed root document: exactly the bytes every signature covers */
  payload: z.base64().max(1 << 20),
  signatures: z.array(SignatureSchema).max(64),
});
export type RootDraft = z.infer<typeof RootDraftSchema>;

export interface OpenedDraft {
  previous: Root;
  proposed: Root;
}

/** Parses a draft file's text; nothing in it is trusted yet. */
export function parseRootDraft(text: string, what = 'root draft'): RootDraft {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AirlockError('ROOT_INVALID', `The ${what} is not JSON.`);
  }
  const parsed = RootDraftSchema.safeParse(json);
  if (!parsed.success) throw new AirlockError('ROOT_INVALID', `The ${what} is not an Airlock root draft: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The previous root (self-signed) and the proposed one, which must be exactly the next version. */
export function openRootDraft(draft: RootDraft): OpenedDraft {
  const previous = openInitialRoot(draft.previous);
  const proposed = parseRoot(fromBase64(draft.payload, 'draft payload'));
  if (proposed.version !== previous.version + 1) {
    throw new AirlockError('ROOT_VERSION_SKIPPED', `The draft proposes root version ${proposed.version} to follow version ${previous.version}; each version must follow the one before.`);
  }
  return { previous, proposed };
}

export function proposeRootDraft(previous: Envelope, proposed: Root): RootDraft {
  const draft: RootDraft = { schema: ROOT_DRAFT_SCHEMA, previous, payload: toBase64(utf8Encode(JSON.stringify(proposed))), signatures: [] };
  openRootDraft(draft);
  return draft;
}

export const draftEnvelope = (draft: RootDraft): Envelope => ({ payloadType: ROOT_PAYLOAD_TYPE, payload: draft.payload, signatures: draft.signatures });

const message = (draft: RootDraft) => pae(ROOT_PAYLOAD_TYPE, fromBase64(draft.payload, 'draft payload'));

const isRootKey = (root: Root, keyid: string) => root.roles.root.keyids.includes(keyid);

/**
 * The draft's `previous` is what its changes are shown against, but no signature covers it: a signer
 * must hold it to the root they trust themselves (the registry's newest, or their own copy), or a
 * forged `previous` would hide from them what the proposed root really changes.
 */
export function assertDraftFollows(draft: RootDraft, trusted: Root): void {
  const { previous } = openRootDraft(draft);
  if (previous.version !== trusted.version || canonicalJson(previous) !== canonicalJson(trusted)) {
    throw new AirlockError(
      'CONFLICT',
      `The draft says it replaces root version ${previous.version}, but the root you trust is version ${trusted.version}${previous.version === trusted.version ? ' with other keys or thresholds' : ''}: its changes would not be the ones shown. Do not sign it; propose again from the newest root.`,
    );
  }
}

/**
 * Adds one root key's signature, once the draft is shown to follow the root the signer trusts. Only a
 * root key of the previous or the proposed root may sign (its signature counts towards that root's
 * threshold); signing again replaces the key's own signature. A draft altered since someone signed it
 * is refused rather than signed again.
 */
export function signRootDraft(draft: RootDraft, signer: Signer, trusted: Root): RootDraft {
  assertDraftFollows(draft, trusted);
  const { previous, proposed } = openRootDraft(draft);
  rootDraftProgress(draft);
  if (!isRootKey(previous, signer.keyId) && !isRootKey(proposed, signer.keyId)) {
    throw new AirlockError('SIGNATURE_KEY_UNKNOWN', `Key ${signer.keyId.slice(0, 16)}… is a root key of neither root version ${previous.version} nor ${proposed.version}; its signature would count for nothing.`);
  }
  const sig = toBase64(signDetached(message(draft), signer.secretKey));
  return { ...draft, signatures: [...draft.signatures.filter((s) => s.keyid !== signer.keyId), { keyid: signer.keyId, sig }] };
}

export interface DraftProgress {
  version: number;
  /** SHA-256 of the previous root's document: what a signer compares with the root they trust */
  previousDigest: string;
  /** root keys of the previous root that signed, and how many it needs */
  previous: { signed: string[]; threshold: number };
  proposed: { signed: string[]; threshold: number };
  complete: boolean;
}

/**
 * Who has signed so far. A signature that does not verify means the draft was altered after it was
 * signed (or a signature forged): SIGNATURE_INVALID, since no later signer should add to it.
 */
export function rootDraftProgress(draft: RootDraft): DraftProgress {
  const { previous, proposed } = openRootDraft(draft);
  const msg = message(draft);
  const valid = new Set<string>();
  for (const { keyid, sig } of draft.signatures) {
    const key = proposed.keys[keyid] ?? previous.keys[keyid];
    let signature: Uint8Array | null = null;
    try {
      signature = fromBase64(sig);
    } catch {
      signature = null;
    }
    if (!key || !signature || !verifyDetached(msg, signature, fromBase64(key.public))) {
      throw new AirlockError('SIGNATURE_INVALID', `The signature of key ${keyid.slice(0, 16)}… on the draft does not verify: the draft was altered after it was signed. Start again from a fresh proposal.`);
    }
    valid.add(keyid);
  }
  const side = (root: Root) => ({ signed: [...valid].filter((k) => isRootKey(root, k)), threshold: root.roles.root.threshold });
  const p = side(previous);
  const n = side(proposed);
  return {
    version: proposed.version,
    previousDigest: `sha256:${sha256Hex(fromBase64(draft.previous.payload))}`,
    previous: p,
    proposed: n,
    complete: p.signed.length >= p.threshold && n.signed.length >= n.threshold,
  };
}

/**
 * The finished root envelope, checked exactly as a host will check it: the previous root's threshold
 * and the new root's own, and not expired. So a lowered threshold or a replaced key set needs the old
 * keys' consent as much as the new ones'.
 */
export function finishRootDraft(draft: RootDraft, nowMs: number): { root: Root; envelope: Envelope } {
  const { previous, proposed } = openRootDraft(draft);
  rootDraftProgress(draft);
  const envelope = draftEnvelope(draft);
  if (envelope.signatures.length === 0) {
    throw new AirlockError('SIGNATURE_THRESHOLD_NOT_MET', `Root version ${proposed.version} carries no signature yet; it needs ${previous.roles.root.threshold} of version ${previous.version}'s root keys and ${proposed.roles.root.threshold} of its own.`);
  }
  const [root] = walkRootChain(previous, new Map([[proposed.version, envelope]]), nowMs);
  return { root: root!, envelope };
}

export interface RootChange {
  kind: 'key-added' | 'key-removed' | 'threshold' | 'expiry';
  role?: (typeof ROLE_NAMES)[number];
  keyid?: string;
  from?: string | number;
  to?: string | number;
}

/** What a draft changes, for the people asked to sign it. */
export function rootChanges(previous: Root, proposed: Root): RootChange[] {
  const changes: RootChange[] = [];
  for (const role of ROLE_NAMES) {
    const before = previous.roles[role];
    const after = proposed.roles[role];
    for (const keyid of after.keyids) if (!before.keyids.includes(keyid)) changes.push({ kind: 'key-added', role, keyid });
    for (const keyid of before.keyids) if (!after.keyids.includes(keyid)) changes.push({ kind: 'key-removed', role, keyid });
    if (before.threshold !== after.threshold) changes.push({ kind: 'threshold', role, from: before.threshold, to: after.threshold });
  }
  if (previous.expiresAt !== proposed.expiresAt) changes.push({ kind: 'expiry', from: previous.expiresAt, to: proposed.expiresAt });
  return changes;
}
