import { hostname } from 'node:os';
import { mkdir, readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  AirlockError,
  fromBase64,
  generateKeyPair,
  HostIdSchema,
  keyIdOf,
  keyPairFromSeed,
  signerFromSecretKey,
  toBase64,
  type KeyPair,
  type Signer,
} from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import type { StateLayout } from './layout.js';

/**
 * The host key is kept unencrypted, readable by the agent's user only (0600), like an SSH host key:
 * the agent runs unattended and must sign reports without anyone typing a passphrase.
 */
const HostKeyFileSchema = z.strictObject({
  schema: z.literal('airlock.host-key/v1'),
  hostId: HostIdSchema,
  labels: z.record(z.string(), z.string()),
  seed: z.base64(),
});

export interface Identity {
  hostId: string;
  labels: Record<string, string>;
  keyPair: KeyPair;
  signer: Signer;
  keyId: string;
}

export const defaultHostId = () => hostname().toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63) || 'host';

export async function createIdentity(layout: StateLayout, hostId: string, labels: Record<string, string>): Promise<Identity> {
  if (!HostIdSchema.safeParse(hostId).success) throw new AirlockError('INVALID_INPUT', `"${hostId}" is not a host id: lower-case letters, digits and ._-.`);
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPair();
  const file = { schema: 'airlock.host-key/v1' as const, hostId, labels, seed: toBase64(pair.secretKey.subarray(0, 32)) };
  try {
    await writeFileAtomic(layout.hostKey, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${layout.dir} already holds a host key; this host is initialised.`);
    throw err;
  }
  return toIdentity(file);
}

function toIdentity(file: z.infer<typeof HostKeyFileSchema>): Identity {
  const keyPair = keyPairFromSeed(fromBase64(file.seed));
  return { hostId: file.hostId, labels: file.labels, keyPair, signer: signerFromSecretKey(keyPair.secretKey), keyId: keyIdOf(keyPair.publicKey) };
}

export async function loadIdentity(layout: StateLayout): Promise<Identity> {
  let text: string;
  try {
    text = await readFile(layout.hostKey, 'utf8');
  } catch {
    throw new AirlockError('NOT_FOUND', `No host key in ${layout.dir}: run \`airlock-agent init --state ${layout.dir} --root root.json\` first.`);
  }
  const parsed = HostKeyFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AirlockError('KEY_FILE_INVALID', `${layout.hostKey} is not a host key file.`);
  return toIdentity(parsed.data);
}
