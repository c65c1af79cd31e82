import { readFile } from 'node:fs/promises';
import { AirlockError, openInitialRoot, parseEnvelope, utf8Encode } from '@airlock/shared/common';
import { createIdentity, defaultHostId, type Identity } from './state/identity.js';
import type { StateLayout } from './state/layout.js';
import { CountersStore, persistRoot } from './state/trust.js';

export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const [k, v, ...rest] = pair.split('=');
    if (!k || v === undefined || rest.length > 0 || !/^[a-z0-9][a-z0-9._/-]{0,62}$/.test(k)) throw new AirlockError('USAGE', `"${pair}" is not a label: write key=value.`);
    labels[k] = v;
  }
  return labels;
}

/** Creates the host key (0600) and installs the trusted root: the only root this host trusts out of band. */
export async function initHost(layout: StateLayout, opts: { rootFile: string; hostId?: string; labels: Record<string, string> }): Promise<{ identity: Identity; rootVersion: number }> {
  const text = await readFile(opts.rootFile, 'utf8').catch((err: Error) => {
    throw new AirlockError('NOT_FOUND', `Cannot read ${opts.rootFile}: ${err.message}`);
  });
  const envelope = parseEnvelope(utf8Encode(text), `root file ${opts.rootFile}`);
  const root = openInitialRoot(envelope);
  const identity = await createIdentity(layout, opts.hostId ?? defaultHostId(), opts.labels);
  await persistRoot(layout, root, envelope);
  await (await CountersStore.open(layout)).update(() => undefined);
  return { identity, rootVersion: root.version };
}
