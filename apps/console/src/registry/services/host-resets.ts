import { randomBytes } from 'node:crypto';
import {
  AirlockError,
  BundleManifestSchema,
  HOST_RESET_PAYLOAD_TYPE,
  HOST_RESET_SCHEMA,
  HostResetSchema,
  signEnvelope,
  toTimestamp,
  utf8Encode,
  type Envelope,
  type HostReset,
} from '@airlock/shared/common';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { MAX_VALID_HOURS } from '../../api/calls/fleet.js';
import type { Registry } from '../context.js';
import { storedJson } from '../db/stored.js';
import { deployments } from '../repos/deployments.js';
import { reports } from '../repos/reports.js';
import { readRoots } from '../roots.js';
import { requireHost } from './hosts.js';
import { assertRecordsHold } from './integrity.js';

/**
 * What the registry knows a host can have trusted at most, from the bundles it issued and the reports
 * it imported: every channel's highest sequence and every slot's highest floor over every deployment
 * (hosts key their counters by the manifest's channel and slot names, so these are read from the
 * manifests themselves), and the highest report sequence this host's key signed. Counting every
 * channel and every deployment, delivered or not, can only make a host stricter than it was; a
 * deployment not yet delivered is then refused as a replay and must be created again.
 */
function knownCounters(reg: Registry, hostRowId: number): Pick<HostReset, 'channels' | 'floors' | 'reportSeq'> {
  const channels: Record<string, number> = {};
  const floors: Record<string, number> = {};
  for (const d of deployments.manifests(reg.db)) {
    const m = storedJson(d.manifest, `the manifest of deployment #${d.id}`, BundleManifestSchema);
    channels[m.channel] = Math.max(channels[m.channel] ?? 0, m.sequence);
    for (const [slot, s] of Object.entries(m.slots)) floors[slot] = Math.max(floors[slot] ?? 0, s.securityFloor);
  }
  return { channels, floors, reportSeq: reports.highestSeq(reg.db, hostRowId) };
}

/**
 * An admin's signed reset of one host's trust counters, for a host that lost them and cannot rebuild
 * them from its own audit chain. Hosts check it against the release role of their root, as they check
 * bundles, so the signer must hold a release key of the newest root. The values are read in the same
 * snapshot as a check of the registry's records (as `bundle export` does before it signs), so a
 * deployment or report row edited behind Airlock's back never lowers what the host is told to trust.
 */
export async function issueHostReset(
  reg: Registry,
  actor: SigningActor,
  input: { host: string; reason: string; validHours: number },
): Promise<{ reset: HostReset; envelope: Envelope }> {
  authorize(actor, 'host.reset');
  const newest = (await readRoots(reg.home)).at(-1)!.root;
  if (!newest.roles.release.keyids.includes(actor.signer.keyId)) {
    throw new AirlockError('FORBIDDEN', `${actor.user.name}'s key is not a release key of root version ${newest.version}; hosts would not accept the reset.`);
  }
  if (!(input.validHours > 0 && input.validHours <= MAX_VALID_HOURS)) {
    throw new AirlockError('USAGE', `A host reset may be valid for 1 to ${MAX_VALID_HOURS} hours, not ${input.validHours}.`);
  }
  return mutate(reg, actor, 'host.reset', () => {
    const h = requireHost(reg, input.host);
    assertRecordsHold(reg, 'so no host reset was signed');
    const now = reg.now();
    const reset = HostResetSchema.parse({
      schema: HOST_RESET_SCHEMA,
      id: randomBytes(16).toString('hex'),
      hostId: h.host_id,
      ...knownCounters(reg, h.id),
      reason: input.reason,
      issuedBy: actor.user.name,
      issuedAt: now,
      expiresAt: toTimestamp(Date.parse(now) + input.validHours * 3_600_000),
    } satisfies HostReset);
    const envelope = signEnvelope(HOST_RESET_PAYLOAD_TYPE, utf8Encode(JSON.stringify(reset)), [actor.signer]);
    const { id, reason, channels, floors, reportSeq, expiresAt } = reset;
    return {
      result: { reset, envelope },
      audit: { action: 'host.reset', subject: `host:${h.host_id}`, details: { id, reason, channels, floors, reportSeq, expiresAt } },
    };
  });
}
