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

export function verifyDetached(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== nacl.sign.signatureLength || publicKey.length !== nacl.sign.publicKeyLength) return false;
  return nacl.sign.detached.verify(message, signature, publicKey);
}
