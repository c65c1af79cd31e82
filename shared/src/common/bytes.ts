import { sha256 } from '@noble/hashes/sha2.js';
import { base64, hex, utf8 } from '@scure/base';
import { AirlockError } from './errors.js';

export const utf8Encode = (text: string): Uint8Array => utf8.decode(text);
export const utf8Decode = (bytes: Uint8Array): string => utf8.encode(bytes);

export const toHex = (bytes: Uint8Array): string => hex.encode(bytes);
export const toBase64 = (bytes: Uint8Array): string => base64.encode(bytes);

/** Strict hex: lower case, even length; anything else is INVALID_INPUT. */
export function fromHex(text: string, what = 'hex value'): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new AirlockError('INVALID_INPUT', `The ${what} is not lower-case hex.`);
  return hex.decode(text);
}

/** Strict RFC 4648 base64 with padding: no whitespace, no alternative alphabets. */
export function fromBase64(text: string, what = 'base64 value'): Uint8Array {
  try {
    return base64.decode(text);
  } catch {
    throw new AirlockError('INVALID_INPUT', `The ${what} is not valid base64.`);
  }
}

export const sha256Hex = (bytes: Uint8Array): string => toHex(sha256(bytes));

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
