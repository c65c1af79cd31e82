import { randomBytes, scrypt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { z } from 'zod';
import { AirlockError, fromBase64, keyIdOf, keyPairFromSeed, toBase64, type KeyPair } from '@airlock/shared/common';
import { writeFileAtomic } from './atomic-file.js';

export const KEY_FILE_SCHEMA = 'airlock.key/v1';

/** scrypt cost: N=2^15, r=8 takes ~32 MiB and ~100 ms, so guessing passphrases offline stays slow. */
const KDF = { name: 'scrypt', N: 2 ** 15, r: 8, p: 1 } as const;

const KeyFileSchema = z.strictObject({
  schema: z.literal(KEY_FILE_SCHEMA),
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  publicKey: z.base64(),
  kdf: z.strictObject({ name: z.literal('scrypt'), N: z.int().min(2 ** 14).max(2 ** 20), r: z.int().min(1).max(32), p: z.int().min(1).max(16), salt: z.base64() }),
  nonce: z.base64(),
  box: z.base64(),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

function deriveKey(passphrase: string, salt: Uint8Array, kdf: { N: number; r: number; p: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, nacl.secretbox.keyLength, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key)),
    ),
  );
}

/** Encrypts a key pair's 32-byte seed under a passphrase (scrypt → XSalsa20-Poly1305). */
export async function sealKey(keyPair: KeyPair, passphrase: string): Promise<KeyFile> {
  if (passphrase.length === 0) throw new AirlockError('INVALID_INPUT', 'A key passphrase cannot be empty.');
  const salt = randomBytes(16);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const box = nacl.secretbox(keyPair.secretKey.subarray(0, 32), nonce, await deriveKey(passphrase, salt, KDF));
  return {
    schema: KEY_FILE_SCHEMA,
    keyid: keyIdOf(keyPair.publicKey),
    publicKey: toBase64(keyPair.publicKey),
    kdf: { ...KDF, salt: toBase64(salt) },
    nonce: toBase64(nonce),
    box: toBase64(box),
  };
}

export function parseKeyFile(text: string, path = 'key file'): KeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AirlockError('KEY_FILE_INVALID', `${path} is not a key file (not JSON).`);
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) throw new AirlockError('KEY_FILE_INVALID', `${path} is not an Airlock key file: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Decrypts a key file; a wrong passphrase is KEY_PASSPHRASE_WRONG, a tampered file KEY_FILE_INVALID. */
export async function openKey(file: KeyFile, passphrase: string): Promise<KeyPair> {
  const key = await deriveKey(passphrase, fromBase64(file.kdf.salt), file.kdf);
  const seed = nacl.secretbox.open(fromBase64(file.box), fromBase64(file.nonce), key);
  if (!seed) throw new AirlockError('KEY_PASSPHRASE_WRONG', 'The passphrase does not open this key. Check it and try again.');
  const pair = keyPairFromSeed(seed);
  if (keyIdOf(pair.publicKey) !== file.keyid || toBase64(pair.publicKey) !== file.publicKey) {
    throw new AirlockError('KEY_FILE_INVALID', 'The key file decrypts to a different key than it names: it was altered.');
  }
  return pair;
}

/** Writes a new key file readable by its owner only; refuses to overwrite an existing key. */
export async function writeKeyFile(path: string, file: KeyFile): Promise<void> {
  try {
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${path} already exists; Airlock never overwrites a key.`);
    throw err;
  }
}

export async function readKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AirlockError('NOT_FOUND', `Cannot read the key file ${path}: ${(err as Error).message}`);
  }
  return parseKeyFile(text, path);
}
