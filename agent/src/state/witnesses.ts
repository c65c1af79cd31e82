import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readReleaseMeta } from '../apply/release.js';
import { signedEvents } from './audit-log.js';
import { TrustChangeSchema, type TrustChange } from './counters.js';
import type { StateLayout } from './layout.js';

export interface Witnesses {
  /** every trust change the host signed into its log, even in a damaged one */
  logged: TrustChange[];
  /** the sequences and floors of the good releases kept on disk: each came from a bundle this host took */
  releases: { channels: Record<string, number>; floors: Record<string, number> };
  /** the host resets already spent here */
  resetsUsed: Set<string>;
  /** the highest event sequence the host signed: a log that ends before it lost events */
  highestSeq: number;
}

/**
 * What the state directory itself says about the trust counters, beyond the counters file: a file
 * lower than any of it was restored, edited or cut off, and is raised to it. Only deleting the
 * witnesses too (or re-signing them with the host key, which lives here) can hide that; the registry's
 * view of the host is the witness outside.
 */
export async function gatherWitnesses(layout: StateLayout, publicKey: Uint8Array): Promise<Witnesses> {
  const events = await signedEvents(layout.audit, publicKey);
  const logged: TrustChange[] = [];
  const resetsUsed = new Set<string>();
  let highestSeq = 0;
  for (const e of events) {
    highestSeq = Math.max(highestSeq, e.seq);
    if (e.action === 'counters') {
      const parsed = TrustChangeSchema.safeParse(e.detail);
      if (parsed.success) logged.push(parsed.data);
    }
    if (e.action === 'counters.recovered' && typeof e.detail.reset === 'string') resetsUsed.add(e.detail.reset);
  }
  return { logged, releases: await releaseEvidence(layout), resetsUsed, highestSeq };
}

/** Committed releases only (an install interrupted before its commit spent nothing, and may be applied again). */
async function releaseEvidence(layout: StateLayout): Promise<Witnesses['releases']> {
  const channels: Record<string, number> = {};
  const floors: Record<string, number> = {};
  for (const slot of await readdir(layout.slots).catch(() => [] as string[])) {
    const paths = layout.slot(slot);
    const good = await readFile(join(paths.base, 'good.json'), 'utf8').then((t) => (JSON.parse(t) as { good?: unknown }).good, () => []);
    for (const id of Array.isArray(good) ? good.filter((g): g is string => typeof g === 'string') : []) {
      const meta = await readReleaseMeta(paths.releases, id).catch(() => null);
      if (!meta) continue;
      channels[meta.channel] = Math.max(channels[meta.channel] ?? 0, meta.sequence);
      floors[slot] = Math.max(floors[slot] ?? 0, meta.slot.securityFloor);
    }
  }
  return { channels, floors };
}
