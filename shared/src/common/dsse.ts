import { z } from 'zod';
import { concatBytes, fromBase64, toBase64, utf8Decode, utf8Encode } from './bytes.js';
import { keyIdOf, signDetached, verifyDetached } from './ed25519.js';
import { AirlockError } from './errors.js';

/** DSSE envelope (https://github.com/secure-systems-lab/dsse): signatures cover exact payload bytes. */
export const KeyIdSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a key id is 64 lower-case hex digits');

export const EnvelopeSchema = z.strictObject({
  payloadType: z.string().min(1).max(200),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: KeyIdSchema, sig: z.string().max(200) })).min(1).max(64),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export interface Signer {
  keyId: string;
  secretKey: Uint8Array;
}

export function signerFromSecretKey(secretKey: Uint8Array): Signer {
  return { keyId: keyIdOf(secretKey.subarray(32)), secretKey };
}

/** Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8Encode(payloadType);
  return concatBytes(utf8Encode(`DSSEv1 ${type.length} `), type, utf8Encode(` ${payload.length} `), payload);
}

export function signEnvelope(payloadType: string, payload: Uint8Array, signers: readonly Signer[]): Envelope {
  const message = pae(payloadType, payload);
  return {
    payloadType,
    payload: toBase64(payload),
    signatures: signers.map((s) => ({ keyid: s.keyId, sig: toBase64(signDetached(message, s.secretKey)) })),
  };
}

/** Parses envelope bytes (JSON) without trusting anything in them yet. */
export function parseEnvelope(bytes: Uint8Array, what = 'envelope'): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new AirlockError('ENVELOPE_INVALID', `The ${what} is not valid JSON.`);
  }
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new AirlockError('ENVELOPE_INVALID', `The ${what} is not a DSSE envelope: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

export interface TrustedKeys {
  /** key id → raw 32-byte Ed25519 public key */
  keys: ReadonlyMap<string, Uint8Array>;
  /** the key ids allowed to sign for this purpose */
  keyIds: readonly string[];
  threshold: number;
}

export interface VerifiedEnvelope {
  payload: Uint8Array;
  signedBy: string[];
}

/**
 * Verifies that at least `threshold` distinct trusted keys signed the envelope. A key counts once
 * however many signatures carry its id. Fails closed with the most specific code: a bad signature by
 * a trusted key, only unknown keys, or too few good signatures. `verify` checks one signature:
 * tweetnacl's by default, so this runs anywhere; Node callers that check many envelopes pass OpenSSL's
 * (`verifyDetachedNative` in shared/node), which makes the same decisions far faster.
 */
export function verifyEnvelope(
  env: Envelope,
  expectedType: string,
  trust: TrustedKeys,
  what = 'envelope',
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean = verifyDetached,
): VerifiedEnvelope {
  if (env.payloadType !== expectedType) {
    throw new AirlockError('ENVELOPE_INVALID', `The ${what} has payload type "${env.payloadType}", expected "${expectedType}".`);
  }
  let payload: Uint8Array;
  try {
    payload = fromBase64(env.payload, `${what} payload`);
  } catch {
    throw new AirlockError('ENVELOPE_INVALID', `The ${what}'s payload is not valid base64.`);
  }
  const message = pae(env.payloadType, payload);
  const allowed = new Set(trust.keyIds);
  const good = new Set<string>();
  let badTrusted = 0;
  let unknown = 0;
  for (const { keyid, sig } of env.signatures) {
    const publicKey = allowed.has(keyid) ? trust.keys.get(keyid) : undefined;
    if (!publicKey) {
      unknown++;
      continue;
    }
    let signature: Uint8Array;
    try {
      signature = fromBase64(sig);
    } catch {
      badTrusted++;
      continue;
    }
    if (verify(message, signature, publicKey)) good.add(keyid);
    else badTrusted++;
  }
  if (good.size >= trust.threshold && trust.threshold > 0) return { payload, signedBy: [...good] };
  const counts = { valid: good.size, threshold: trust.threshold };
  if (badTrusted > 0) {
    throw new AirlockError('SIGNATURE_INVALID', `A signature on the ${what} does not verify: it was altered or signed over other content.`, counts);
  }
  if (good.size === 0 && unknown > 0) {
    throw new AirlockError('SIGNATURE_KEY_UNKNOWN', `The ${what} is signed only by keys this trust root does not know.`, counts);
  }
  throw new AirlockError(
    'SIGNATURE_THRESHOLD_NOT_MET',
    `The ${what} carries ${good.size} valid signature(s) from trusted keys; ${trust.threshold} are required.`,
    counts,
  );
}
