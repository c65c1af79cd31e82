import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlockError, buildRoot, generateKeyPair, keyIdOf, signerFromSecretKey, signRoot } from '@airlock/shared/common';
import { sealKey, writeFileAtomic, writeKeyFile } from '@airlock/shared/node';

export interface InitKeysInput {
  dir: string;
  /** file name stem of the key: `<name>.key` */
  name: string;
  passphrase: string;
  expiresAt: string;
}

export interface InitKeysResult {
  keyId: string;
  keyPath: string;
  rootPath: string;
  rootVersion: number;
  expiresAt: string;
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Creates a signing key (encrypted with the passphrase) and a root v1 in which that key holds the
 * root, release and approver roles, 1-of-1: enough to sign and verify bundles on one machine.
 */
export async function initKeys(input: InitKeysInput): Promise<InitKeysResult> {
  const keyPath = join(input.dir, `${input.name}.key`);
  const rootPath = join(input.dir, 'root.json');
  for (const path of [keyPath, rootPath]) {
    if (await exists(path)) throw new AirlockError('ALREADY_EXISTS', `${path} already exists; choose another --dir or remove it first.`);
  }
  await mkdir(input.dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPair();
  const root = buildRoot({ version: 1, expiresAt: input.expiresAt, keys: [{ publicKey: pair.publicKey, roles: ['root', 'release', 'approver'] }] });
  const envelope = signRoot(root, [signerFromSecretKey(pair.secretKey)]);
  await writeKeyFile(keyPath, await sealKey(pair, input.passphrase));
  await writeFileAtomic(rootPath, `${JSON.stringify(envelope, null, 2)}\n`, { exclusive: true });
  return { keyId: keyIdOf(pair.publicKey), keyPath, rootPath, rootVersion: root.version, expiresAt: root.expiresAt };
}
