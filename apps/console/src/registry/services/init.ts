import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toTimestamp, AirlockError, buildRoot, generateKeyPair, keyIdOf, signerFromSecretKey, signRoot, toBase64, type KeyPair } from '@airlock/shared/common';
import { sealKey, writeKeyFile } from '@airlock/shared/node';
import { mutate } from '../audit.js';
import { openRegistry, type Registry } from '../context.js';
import type { Home } from '../home.js';
import { writeRoot } from '../roots.js';
import { users } from '../repos/users.js';
import { parseUserName } from './users.js';

export interface InitInput {
  admin: string;
  passphrase: string;
  /** additional offline root keys, written encrypted (same passphrase) to keys/root-N.key */
  extraRootKeys: number;
  rootThreshold: number;
  rootExpiresDays: number;
}

export interface InitResult {
  home: string;
  admin: { name: string; keyId: string };
  root: { version: number; path: string; expiresAt: string; rootKeys: number; rootThreshold: number };
  extraKeyFiles: string[];
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Creates a registry: database, blob store, the admin user with an encrypted key, and root.json v1 in
 * which the admin key holds the root, release and approver roles (plus any extra offline root keys).
 */
export async function initRegistry(home: Home, input: InitInput, clock: () => Date = () => new Date()): Promise<{ reg: Registry; result: InitResult }> {
  parseUserName(input.admin);
  if (await exists(home.db)) throw new AirlockError('ALREADY_EXISTS', `A registry already exists at ${home.dir}.`);
  const rootKeys = 1 + input.extraRootKeys;
  if (input.rootThreshold < 1 || input.rootThreshold > rootKeys) {
    throw new AirlockError('USAGE', `--root-threshold must be between 1 and the number of root keys (${rootKeys}).`);
  }
  const admin = generateKeyPair();
  const extras: KeyPair[] = Array.from({ length: input.extraRootKeys }, generateKeyPair);
  const expiresAt = toTimestamp(clock().getTime() + input.rootExpiresDays * 86_400_000);
  const root = buildRoot({
    version: 1,
    expiresAt,
    keys: [{ publicKey: admin.publicKey, roles: ['root', 'release', 'approver'] }, ...extras.map((k) => ({ publicKey: k.publicKey, roles: ['root'] as const }))],
    thresholds: { root: input.rootThreshold },
  });
  const envelope = signRoot(root, [admin, ...extras].map((k) => signerFromSecretKey(k.secretKey)));
  const adminKeyFile = await sealKey(admin, input.passphrase);

  const reg = await openRegistry(home, { create: true, clock });
  try {
    const extraKeyFiles: string[] = [];
    if (extras.length > 0) await mkdir(home.keys, { recursive: true, mode: 0o700 });
    for (const [i, key] of extras.entries()) {
      const path = join(home.keys, `root-${i + 2}.key`);
      await writeKeyFile(path, await sealKey(key, input.passphrase));
      extraKeyFiles.push(path);
    }
    const rootPath = await writeRoot(home, root, envelope);
    const actor = {
      user: { id: 0, name: input.admin, roles: ['admin' as const], key_id: keyIdOf(admin.publicKey), public_key: toBase64(admin.publicKey), key_file: '', created_at: '', disabled_at: null },
      signer: signerFromSecretKey(admin.secretKey),
    };
    mutate(reg, actor, null, () => {
      users.insert(reg.db, {
        name: input.admin,
        roles: ['admin'],
        key_id: actor.user.key_id,
        public_key: actor.user.public_key,
        key_file: JSON.stringify(adminKeyFile),
        created_at: reg.now(),
      });
      return { result: undefined, audit: { action: 'registry.init', subject: `user:${input.admin}`, details: { rootVersion: 1, rootKeys, rootThreshold: input.rootThreshold } } };
    });
    return {
      reg,
      result: {
        home: home.dir,
        admin: { name: input.admin, keyId: actor.user.key_id },
        root: { version: 1, path: rootPath, expiresAt, rootKeys, rootThreshold: input.rootThreshold },
        extraKeyFiles,
      },
    };
  } catch (err) {
    reg.close();
    throw err;
  }
}
