import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { toBase64, verifyEnvelope, type Envelope, type TrustedKeys, type VerifiedEnvelope } from '@airlock/shared/common';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 1024;

/**
 * Ed25519 verification through Node's crypto (OpenSSL): the same accept/refuse decisions as
 * `verifyDetached` in common (OpenSSL refuses S ≥ L too), about two hundred times faster than
 * tweetnacl's pure JavaScript. For Node-side loops over many signatures, such as the audit chain.
 */
export function verifyDetachedNative(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const id = toBase64(publicKey);
  let key = keys.get(id);
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    keys.set(id, key);
  }
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** `verifyEnvelope` with OpenSSL's signature check: for Node callers that verify envelopes in bulk. */
export const verifyEnvelopeNative = (env: Envelope, expectedType: string, trust: TrustedKeys, what?: string): VerifiedEnvelope =>
  verifyEnvelope(env, expectedType, trust, what, verifyDetachedNative);
