import { describe, expect, it } from 'vitest';
import { toBase64, utf8Decode, utf8Encode } from './bytes.js';
import { parseEnvelope, pae, signEnvelope, signerFromSecretKey, verifyEnvelope, type Envelope, type TrustedKeys } from './dsse.js';
import { generateKeyPair, keyIdOf } from './ed25519.js';
import type { ErrorCode } from './errors.js';
import { codeOf } from '../../../test/helpers/codes.js';

const TYPE = 'application/vnd.airlock.test+json';
const keys = Array.from({ length: 3 }, generateKeyPair);
const signers = keys.map((k) => signerFromSecretKey(k.secretKey));
const stranger = signerFromSecretKey(generateKeyPair().secretKey);
const trust = (threshold: number, count = 3): TrustedKeys => ({
  keys: new Map(keys.map((k) => [keyIdOf(k.publicKey), k.publicKey])),
  keyIds: keys.slice(0, count).map((k) => keyIdOf(k.publicKey)),
  threshold,
});
const payload = utf8Encode('{"hello":"world"}');


describe('DSSE', () => {
  it('encodes PAE exactly as the DSSE spec example', () => {
    expect(utf8Decode(pae('http://example.com/HelloWorld', utf8Encode('hello world')))).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts lengths in bytes, not characters', () => {
    expect(utf8Decode(pae('t', utf8Encode('é')))).toBe('DSSEv1 1 t 2 é');
  });

  const cases: [string, () => Envelope, TrustedKeys, ErrorCode | 'ok'][] = [
    ['one trusted signature, threshold 1', () => signEnvelope(TYPE, payload, [signers[0]!]), trust(1), 'ok'],
    ['two of three, threshold 2', () => signEnvelope(TYPE, payload, [signers[0]!, signers[2]!]), trust(2), 'ok'],
    ['the same key twice does not make two', () => signEnvelope(TYPE, payload, [signers[0]!, signers[0]!]), trust(2), 'SIGNATURE_THRESHOLD_NOT_MET'],
    ['a trusted key outside the role does not count', () => signEnvelope(TYPE, payload, [signers[0]!, signers[2]!]), trust(2, 2), 'SIGNATURE_THRESHOLD_NOT_MET'],
    ['only unknown keys', () => signEnvelope(TYPE, payload, [stranger]), trust(1), 'SIGNATURE_KEY_UNKNOWN'],
    ['an unknown key beside a trusted one still meets 1', () => signEnvelope(TYPE, payload, [stranger, signers[1]!]), trust(1), 'ok'],
    ['payload changed after signing', () => ({ ...signEnvelope(TYPE, payload, [signers[0]!]), payload: toBase64(utf8Encode('{"hello":"mars"}')) }), trust(1), 'SIGNATURE_INVALID'],
    ['payload type changed after signing', () => ({ ...signEnvelope('other/type', payload, [signers[0]!]), payloadType: TYPE }), trust(1), 'SIGNATURE_INVALID'],
    ['wrong payload type', () => signEnvelope('other/type', payload, [signers[0]!]), trust(1), 'ENVELOPE_INVALID'],
    ['signature not base64', () => ({ ...signEnvelope(TYPE, payload, [signers[0]!]), signatures: [{ keyid: signers[0]!.keyId, sig: '!!!' }] }), trust(1), 'SIGNATURE_INVALID'],
    ['signature truncated', () => {
      const env = signEnvelope(TYPE, payload, [signers[0]!]);
      return { ...env, signatures: [{ keyid: signers[0]!.keyId, sig: env.signatures[0]!.sig.slice(0, 40) }] };
    }, trust(1), 'SIGNATURE_INVALID'],
    ['signature moved to another key id', () => ({ ...signEnvelope(TYPE, payload, [signers[0]!]), signatures: [{ keyid: signers[1]!.keyId, sig: signEnvelope(TYPE, payload, [signers[0]!]).signatures[0]!.sig }] }), trust(1), 'SIGNATURE_INVALID'],
    ['payload not base64', () => ({ ...signEnvelope(TYPE, payload, [signers[0]!]), payload: 'e30=\n' }), trust(1), 'ENVELOPE_INVALID'],
    ['threshold 0 never passes', () => signEnvelope(TYPE, payload, [signers[0]!]), trust(0), 'SIGNATURE_THRESHOLD_NOT_MET'],
  ];
  it.each(cases)('%s → %s', (_name, make, trusted, expected) => {
    expect(codeOf(() => verifyEnvelope(make(), TYPE, trusted))).toBe(expected);
  });

  it('returns the exact payload bytes and who signed', () => {
    const result = verifyEnvelope(signEnvelope(TYPE, payload, [signers[1]!, signers[0]!]), TYPE, trust(2));
    expect(utf8Decode(result.payload)).toBe('{"hello":"world"}');
    expect(result.signedBy.sort()).toEqual([signers[0]!.keyId, signers[1]!.keyId].sort());
  });

  const malformed: [string, string][] = [
    ['not JSON', '{nope'],
    ['no signatures', JSON.stringify({ payloadType: TYPE, payload: 'e30=', signatures: [] })],
    ['extra field', JSON.stringify({ payloadType: TYPE, payload: 'e30=', signatures: [{ keyid: 'a'.repeat(64), sig: 'AA==' }], extra: 1 })],
    ['key id not hex', JSON.stringify({ payloadType: TYPE, payload: 'e30=', signatures: [{ keyid: 'Z'.repeat(64), sig: 'AA==' }] })],
    ['null', 'null'],
    ['array', '[]'],
  ];
  it.each(malformed)('refuses a malformed envelope: %s', (_name, text) => {
    expect(codeOf(() => parseEnvelope(utf8Encode(text)))).toBe('ENVELOPE_INVALID');
  });
});
