import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openInitialRoot, parseEnvelope, utf8Encode } from '@airlock/shared/common';
import type { Registry } from '../context.js';

/**
 * What the audit chain is anchored to: the first event must be signed by a root key of root v1, the
 * self-signed root every host was installed with. A forged database cannot start its own chain
 * without also forging a root that no host trusts.
 */
export function rootV1KeyIds(reg: Registry): ReadonlySet<string> {
  const path = join(reg.home.roots, '1.root.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Set();
  }
  // Every sealed read asks (a session re-reads its person at each call): the self-signature is checked
  // once per content of the file, not once per call.
  const known = opened.get(path);
  if (known?.text === text) return known.ids;
  let ids: ReadonlySet<string>;
  try {
    ids = new Set(openInitialRoot(parseEnvelope(utf8Encode(text), 'root v1')).roles.root.keyids);
  } catch {
    ids = new Set();
  }
  opened.set(path, { text, ids });
  return ids;
}

const opened = new Map<string, { text: string; ids: ReadonlySet<string> }>();
