import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlockError, type Envelope, type Root } from '@airlock/shared/common';
import { readRootFile, writeFileAtomic } from '@airlock/shared/node';
import type { Home } from './home.js';

const ROOT_FILE = /^([1-9][0-9]*)\.root\.json$/;

/** Every root version this registry has signed, oldest first. */
export async function readRoots(home: Home): Promise<{ root: Root; envelope: Envelope }[]> {
  const names = (await readdir(home.roots).catch(() => [] as string[])).filter((n) => ROOT_FILE.test(n));
  const roots = await Promise.all(names.map((n) => readRootFile(join(home.roots, n))));
  return roots.sort((a, b) => a.root.version - b.root.version);
}

export async function currentRoot(home: Home): Promise<{ root: Root; envelope: Envelope }> {
  const roots = await readRoots(home);
  const latest = roots.at(-1);
  if (!latest) throw new AirlockError('REGISTRY_NOT_FOUND', `No root of trust in ${home.roots}: run \`airlock init\`.`);
  return latest;
}

export async function writeRoot(home: Home, root: Root, envelope: Envelope): Promise<string> {
  await mkdir(home.roots, { recursive: true });
  const path = join(home.roots, `${root.version}.root.json`);
  await writeFileAtomic(path, `${JSON.stringify(envelope, null, 2)}\n`, { exclusive: true });
  return path;
}
