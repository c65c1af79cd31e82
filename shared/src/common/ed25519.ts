import nacl from 'tweetnacl';
import { sha256Hex } from './bytes.js';

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const generateKeyPair = (): KeyPair => nacl.sign.keyPair();

export const keyPairFromSeed = (seed: Uint8Array): KeyPair => nacl.sign.keyPair.fromSeed(seed);

/** A key id names a key everywhere: hex SHA-256 of the raw 32-byte public key. */
export const keyIdOf = (publicKey: Uint8Array): string => sha256Hex(publicKey);

export const signDetached = (message: Uint8Array, secretKey: Uint8Array): Uint8Array =>
  nacl.sign.detached(message, secretKey);

/** The order of the Ed25519 group, little-endian: a valid signature's S is below it (RFC 8032 §5.1.7). */
const L = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

function scalarIsCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L[i]!) return true;
    if (s[i]! > L[i]!) return false;
  }
  return false;
}

/**
 * Verifies a detached signature. tweetnacl alone accepts S + L as well as S; OpenSSL and Node refuse
 * it, and so does this, so that every implementation agrees on which signatures are valid.
 */
export function verifyDetached(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== nacl.sign.signatureLength || publicKey.length !== nacl.sign.publicKeyLength) return false;
  if (!scalarIsCanonical(signature.subarray(32))) return false;
  return nacl.sign.detached.verify(message, signature, publicKey);
}
