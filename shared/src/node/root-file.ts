import { readFile } from 'node:fs/promises';
import { AirlockError, openInitialRoot, parseEnvelope, utf8Encode, type Envelope, type Root } from '@airlock/shared/common';

/** Reads a root.json envelope and checks it is signed by its own root keys (registry, agent and CLIs alike). */
export async function readRootFile(path: string): Promise<{ root: Root; envelope: Envelope }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AirlockError('NOT_FOUND', `Cannot read the root file ${path}: ${(err as Error).message}`);
  }
  const envelope = parseEnvelope(utf8Encode(text), `root file ${path}`);
  return { root: openInitialRoot(envelope), envelope };
}
