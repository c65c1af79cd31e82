import type { HostStatus } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import type { Registry } from '../context.js';
import { deploymentHosts } from '../repos/deployments.js';
import { hosts } from '../repos/hosts.js';
import { storedJson } from '../db/stored.js';

export interface FleetRow {
  hostId: string;
  environment: string | null;
  slots: { slot: string; version: string | null; healthy: boolean }[];
  health: 'healthy' | 'degraded' | 'unknown';
  lastReport: string | null;
  ageMinutes: number | null;
  stale: boolean;
  pendingDeployments: number;
}

/** One row per host: where it is, what it runs, whether it is healthy and how fresh that news is. */
export function fleet(reg: Registry, _actor: Actor, opts: { staleAfterMinutes: number }): FleetRow[] {
  const now = Date.parse(reg.now());
  return hosts.list(reg.db).map((h) => {
    const status = h.last_status ? storedJson<HostStatus>(h.last_status, `host ${h.host_id}'s last status`) : null;
    const slots = (status?.slots ?? []).map((s) => ({ slot: s.slot, version: s.model ? `${s.model}@${s.version}` : null, healthy: s.healthy }));
    const ageMinutes = h.last_seen ? Math.round((now - Date.parse(h.last_seen)) / 60_000) : null;
    return {
      hostId: h.host_id,
      environment: h.environment,
      slots,
      health: !status ? 'unknown' : slots.every((s) => s.healthy) ? 'healthy' : 'degraded',
      lastReport: h.last_seen,
      ageMinutes,
      stale: ageMinutes === null || ageMinutes > opts.staleAfterMinutes,
      pendingDeployments: deploymentHosts.pendingFor(reg.db, h.id),
    };
  });
}
