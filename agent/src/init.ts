import { readRootFile } from '@airlock/shared/node';
import { createIdentity, defaultHostId, type Identity } from './state/identity.js';
import type { StateLayout } from './state/layout.js';
import { countersFile, initialCounters } from './state/counters.js';
import { persistRoot } from './state/roots.js';

/** Creates the host key (0600) and installs the trusted root: the only root this host trusts out of band. */
export async function initHost(layout: StateLayout, opts: { rootFile: string; hostId?: string; labels: Record<string, string> }): Promise<{ identity: Identity; rootVersion: number }> {
  const { root, envelope } = await readRootFile(opts.rootFile);
  const identity = await createIdentity(layout, opts.hostId ?? defaultHostId(), opts.labels);
  await persistRoot(layout, root, envelope);
  await countersFile(layout).write(initialCounters(root.version));
  return { identity, rootVersion: root.version };
}
