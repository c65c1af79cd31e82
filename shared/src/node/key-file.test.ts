import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, toBase64 } from '@airlock/shared/common';
import { openKey, parseKeyFile, readKeyFile, sealKey, writeKeyFile } from '@airlock/shared/node';
import { useTempDirs } from '../../../test/helpers/tmp.js';

const tempDir = useTempDirs();

describe('encrypted key files', () => {
  it('round-trips a key under its passphrase, written 0600, never overwritten', async () => {
    const path = join(await tempDir(), 'release.key');
    const pair = generateKeyPair();
    await writeKeyFile(path, await sealKey(pair, 'correct horse'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(toBase64(pair.secretKey.subarray(0, 32)));
    const opened = await openKey(await readKeyFile(path), 'correct horse');
    expect(opened.secretKey).toEqual(pair.secretKey);
    await expect(writeKeyFile(path, await sealKey(generateKeyPair(), 'x'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('a wrong passphrase is a clear error, not a crash', async () => {
    const file = await sealKey(generateKeyPair(), 'right');
    await expect(openKey(file, 'wrong')).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
    await expect(openKey(file, '')).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
  });

  it('refuses an empty passphrase when sealing', async () => {
    await expect(sealKey(generateKeyPair(), '')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('detects a key file whose public half was swapped', async () => {
    const file = await sealKey(generateKeyPair(), 'pw');
    const other = generateKeyPair();
    const swapped = { ...file, publicKey: toBase64(other.publicKey) };
    await expect(openKey(swapped, 'pw')).rejects.toMatchObject({ code: 'KEY_FILE_INVALID' });
  });

  const broken: [string, string][] = [
    ['not JSON', 'hello'],
    ['wrong schema', JSON.stringify({ schema: 'airlock.key/v9' })],
    ['weak KDF', JSON.stringify({ schema: 'airlock.key/v1', keyid: 'a'.repeat(64), publicKey: 'AA==', kdf: { name: 'scrypt', N: 2, r: 1, p: 1, salt: 'AA==' }, nonce: 'AA==', box: 'AA==' })],
    ['absurd KDF cost', JSON.stringify({ schema: 'airlock.key/v1', keyid: 'a'.repeat(64), publicKey: 'AA==', kdf: { name: 'scrypt', N: 2 ** 30, r: 8, p: 1, salt: 'AA==' }, nonce: 'AA==', box: 'AA==' })],
  ];
  it.each(broken)('refuses a key file that is %s', async (_name, text) => {
    const path = join(await tempDir(), 'k.key');
    await writeFile(path, text);
    await expect(readKeyFile(path)).rejects.toMatchObject({ code: 'KEY_FILE_INVALID' });
    expect(() => parseKeyFile(text)).toThrow();
  });

  it('a missing key file is NOT_FOUND', async () => {
    await expect(readKeyFile(join(await tempDir(), 'nope.key'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
