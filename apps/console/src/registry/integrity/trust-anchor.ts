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
  try {
    const root = openInitialRoot(parseEnvelope(utf8Encode(readFileSync(join(reg.home.roots, '1.root.json'), 'utf8')), 'root v1'));
    return new Set(root.roles.root.keyids);
  } catch {
    return new Set();
  }
}
