import { z } from 'zod';
import { fromBase64, toBase64, utf8Encode } from './bytes.js';
import { KeyIdSchema, signEnvelope, verifyEnvelope, type Envelope, type Signer, type TrustedKeys } from './dsse.js';
import { keyIdOf } from './ed25519.js';
import { canonicalJson } from './canonical-json.js';
import { AirlockError, isAirlockError } from './errors.js';
import { parseTimestamp, TimestampSchema } from './time.js';
import { parseVersionedJson } from './versioned-json.js';

/** zod's base64 check does not stop later refinements from running, so this one must not throw. */
function decodesTo32Bytes(text: string): boolean {
  try {
    return fromBase64(text).length === 32;
  } catch {
    return false;
  }
}

export const ROOT_SCHEMA = 'airlock.root/v1';
export const ROOT_PAYLOAD_TYPE = 'application/vnd.airlock.root+json';
export const ROLE_NAMES = ['root', 'release', 'approver'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

const RoleSchema = z
  .strictObject({ keyids: z.array(KeyIdSchema).min(1).max(64), threshold: z.int().min(1) })
  .refine((r) => new Set(r.keyids).size === r.keyids.length, 'key ids in a role must be distinct')
  .refine((r) => r.threshold <= r.keyids.length, 'threshold cannot exceed the number of keys');

const PublicKeySchema = z.strictObject({
  scheme: z.literal('ed25519'),
  public: z.base64().refine((b) => decodesTo32Bytes(b), 'an Ed25519 public key is 32 bytes'),
});

export const RootSchema = z
  .strictObject({
    schema: z.literal(ROOT_SCHEMA),
    version: z.int().min(1),
    expiresAt: TimestampSchema,
    keys: z.record(KeyIdSchema, PublicKeySchema),
    roles: z.strictObject({ root: RoleSchema, release: RoleSchema, approver: RoleSchema }),
  })
  .superRefine((root, ctx) => {
    for (const [keyid, key] of Object.entries(root.keys)) {
      if (decodesTo32Bytes(key.public) && keyIdOf(fromBase64(key.public)) !== keyid) {
        ctx.addIssue({ code: 'custom', path: ['keys', keyid], message: 'key id is not the SHA-256 of its public key' });
      }
    }
    for (const role of ROLE_NAMES) {
      for (const keyid of root.roles[role].keyids) {
        if (!root.keys[keyid]) ctx.addIssue({ code: 'custom', path: ['roles', role], message: `unknown key ${keyid}` });
      }
    }
  });
export type Root = z.infer<typeof RootSchema>;

export interface RootKey {
  publicKey: Uint8Array;
  roles: readonly RoleName[];
}

/** Builds a root document from public keys, each listed in the roles it holds. */
export function buildRoot(opts: {
  version: number;
  expiresAt: string;
  keys: readonly RootKey[];
  thresholds?: Partial<Record<RoleName, number>>;
}): Root {
  const keys: Root['keys'] = {};
  const role = (name: RoleName) => {
    const keyids = opts.keys.filter((k) => k.roles.includes(name)).map((k) => keyIdOf(k.publicKey));
    return { keyids, threshold: opts.thresholds?.[name] ?? 1 };
  };
  for (const k of opts.keys) keys[keyIdOf(k.publicKey)] = { scheme: 'ed25519', public: toBase64(k.publicKey) };
  const root = { schema: ROOT_SCHEMA, version: opts.version, expiresAt: opts.expiresAt, keys, roles: { root: role('root'), release: role('release'), approver: role('approver') } };
  return parseRoot(utf8Encode(JSON.stringify(root)));
}

export const signRoot = (root: Root, signers: readonly Signer[]): Envelope =>
  signEnvelope(ROOT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(root)), signers);

export const parseRoot = (payload: Uint8Array): Root =>
  parseVersionedJson(payload, { schemaId: ROOT_SCHEMA, schema: RootSchema, what: 'root document', invalid: 'ROOT_INVALID', unsupported: 'ROOT_SCHEMA_UNSUPPORTED' });

/** The keys a role of this root trusts, ready for verifyEnvelope. */
export function roleKeys(root: Root, role: RoleName): TrustedKeys {
  const keys = new Map<string, Uint8Array>();
  for (const [keyid, key] of Object.entries(root.keys)) keys.set(keyid, fromBase64(key.public));
  return { keys, keyIds: root.roles[role].keyids, threshold: root.roles[role].threshold };
}

function verifyRootSignatures(env: Envelope, trust: TrustedKeys, what: string): Uint8Array {
  try {
    return verifyEnvelope(env, ROOT_PAYLOAD_TYPE, trust, what).payload;
  } catch (err) {
    if (isAirlockError(err, 'ENVELOPE_INVALID')) throw new AirlockError('ROOT_INVALID', err.message);
    throw err;
  }
}

/** Opens a root installed out of band: it must be signed by a threshold of its own root keys. */
export function openInitialRoot(env: Envelope): Root {
  if (env.payloadType !== ROOT_PAYLOAD_TYPE) throw new AirlockError('ROOT_INVALID', `The file is a "${env.payloadType}" envelope, not a root.`);
  let payload: Uint8Array;
  try {
    payload = fromBase64(env.payload, 'root payload');
  } catch {
    throw new AirlockError('ROOT_INVALID', "The root's payload is not valid base64.");
  }
  const claimed = parseRoot(payload);
  verifyRootSignatures(env, roleKeys(claimed, 'root'), `root version ${claimed.version}`);
  return claimed;
}

/**
 * A carried root no newer than the trusted one is not needed, but it must still be what it claims:
 * well-formed and self-signed, and identical to the trusted root when it has the same version.
 */
function assertKnownRoot(trusted: Root, version: number, env: Envelope): void {
  const root = openInitialRoot(env);
  if (root.version !== version) {
    throw new AirlockError('ROOT_INVALID', `The document delivered as root version ${version} declares version ${root.version}.`);
  }
  if (version === trusted.version && canonicalJson(root) !== canonicalJson(trusted)) {
    throw new AirlockError('ROOT_INVALID', `Root version ${version} in the bundle differs from the trusted root of that version.`);
  }
}

export function assertRootFresh(root: Root, trustedNowMs: number): void {
  if (parseTimestamp(root.expiresAt) <= trustedNowMs) {
    throw new AirlockError('ROOT_EXPIRED', `Root version ${root.version} expired at ${root.expiresAt}. Ask the registry for a newer root.`);
  }
}

/**
 * Walks from a trusted root to the newest candidate, one version at a time. Version N+1 must carry a
 * threshold of N's root keys and a threshold of its own. Candidates at or below the trusted version
 * are ignored; a gap in the versions is refused. The newest root must not be expired.
 */
export function walkRootChain(trusted: Root, candidates: ReadonlyMap<number, Envelope>, trustedNowMs: number): Root[] {
  for (const [v, env] of candidates) {
    if (v <= trusted.version) assertKnownRoot(trusted, v, env);
  }
  const chain: Root[] = [];
  let current = trusted;
  const newest = Math.max(trusted.version, ...candidates.keys());
  for (let v = trusted.version + 1; v <= newest; v++) {
    const env = candidates.get(v);
    if (!env) {
      throw new AirlockError('ROOT_VERSION_SKIPPED', `Root version ${v} is missing between trusted version ${current.version} and ${newest}; each version must be delivered.`);
    }
    const payload = verifyRootSignatures(env, roleKeys(current, 'root'), `root version ${v} (by version ${current.version}'s keys)`);
    const next = parseRoot(payload);
    if (next.version !== v) {
      throw new AirlockError('ROOT_INVALID', `The document delivered as root version ${v} declares version ${next.version}.`);
    }
    verifyRootSignatures(env, roleKeys(next, 'root'), `root version ${v} (by its own keys)`);
    chain.push(next);
    current = next;
  }
  assertRootFresh(current, trustedNowMs);
  return chain;
}
