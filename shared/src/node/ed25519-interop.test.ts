import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, generateKeyPair, pae, signDetached, signEnvelope, signerFromSecretKey, utf8Encode, verifyDetached } from '@airlock/shared/common';
import { useTempDirs } from '../../../test/helpers/tmp.js';
import { verifyDetachedNative } from './ed25519-native.js';

const tempDir = useTempDirs();
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const nodePublicKey = (raw: Uint8Array) => createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
const message = utf8Encode('airlock interop: ' + 'x'.repeat(1000));

describe('Ed25519 interoperability', () => {
  it('our signatures verify with Node crypto, and Node signatures verify with ours', () => {
    const ours = generateKeyPair();
    const sig = signerFromSecretKey(ours.secretKey);
    const env = signEnvelope('application/x-test', message, [sig]);
    const signed = pae(env.payloadType, message);
    expect(verify(null, signed, nodePublicKey(ours.publicKey), fromBase64(env.signatures[0]!.sig))).toBe(true);

    const theirs = generateKeyPairSync('ed25519');
    const raw = theirs.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
    const theirSig = sign(null, message, theirs.privateKey);
    expect(verifyDetached(message, theirSig, raw)).toBe(true);
    expect(verifyDetached(utf8Encode('other'), theirSig, raw)).toBe(false);
  });

  it('refuses a malleated signature (S + L) exactly as Node crypto does', () => {
    const pair = generateKeyPair();
    const sig = signDetached(message, pair.secretKey);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
    let t = s + L;
    const malleated = new Uint8Array(sig);
    for (let i = 0; i < 32; i++) {
      malleated[32 + i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(verifyDetached(message, sig, pair.publicKey)).toBe(true);
    expect(verify(null, message, nodePublicKey(pair.publicKey), malleated)).toBe(false);
    expect(verifyDetached(message, malleated, pair.publicKey)).toBe(false);
    expect(verifyDetachedNative(message, malleated, pair.publicKey)).toBe(false);
  });

  it('the native verifier decides exactly as the portable one: valid, another message, another key, a flipped bit, wrong lengths', () => {
    const pair = generateKeyPair();
    const other = generateKeyPair();
    const sig = signDetached(message, pair.secretKey);
    const flipped = new Uint8Array(sig);
    flipped[5]! ^= 1;
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [message, sig, pair.publicKey],
      [utf8Encode('other'), sig, pair.publicKey],
      [message, sig, other.publicKey],
      [message, flipped, pair.publicKey],
      [message, sig.subarray(0, 63), pair.publicKey],
      [message, sig, pair.publicKey.subarray(0, 31)],
      [message, new Uint8Array(64), new Uint8Array(32)],
    ];
    expect(cases.map(([m, s, k]) => verifyDetachedNative(m, s, k))).toEqual(cases.map(([m, s, k]) => verifyDetached(m, s, k)));
    expect(cases.map(([m, s, k]) => verifyDetachedNative(m, s, k))).toEqual([true, false, false, false, false, false, false]);
  });

  it('our signatures verify with `openssl pkeyutl`, and OpenSSL signatures verify with ours', async () => {
    const dir = await tempDir();
    const ours = generateKeyPair();
    const env = signEnvelope('application/x-test', message, [signerFromSecretKey(ours.secretKey)]);
    await writeFile(join(dir, 'msg'), pae(env.payloadType, message));
    await writeFile(join(dir, 'sig'), fromBase64(env.signatures[0]!.sig));
    await writeFile(join(dir, 'pub.pem'), nodePublicKey(ours.publicKey).export({ format: 'pem', type: 'spki' }));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig')]);
    expect(out.toString()).toMatch(/Signature Verified Successfully/);

    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'k.pem')]);
    await writeFile(join(dir, 'plain'), message);
    execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', join(dir, 'k.pem'), '-rawin', '-in', join(dir, 'plain'), '-out', join(dir, 'osig')]);
    const pub = createPublicKey(createPrivateKey(await readFile(join(dir, 'k.pem')))).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
    const osig = await readFile(join(dir, 'osig'));
    expect(verifyDetached(message, osig, pub)).toBe(true);
    osig[10]! ^= 1;
    expect(verifyDetached(message, osig, pub)).toBe(false);
  });
});
