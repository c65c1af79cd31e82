import type { HostStatus } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import type { Registry } from '../context.js';
import { activations } from '../repos/activations.js';
import { deploymentHosts } from '../repos/deployments.js';
import { hosts } from '../repos/hosts.js';
import { storedJson } from '../db/stored.js';

export interface FleetSlot {
  slot: string;
  version: string | null;
  healthy: boolean;
  /** the version active for that model in the host's environment, when it differs from what the host serves */
  expected: string | null;
  p95Ms: number | null;
  /** failed share of the requests counted in the host's last status (5xx, errors, unavailable) */
  errorRate: number | null;
}

export interface FleetRow {
  hostId: string;
  environment: string | null;
  slots: FleetSlot[];
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
    const active = new Map(activations.active(reg.db).filter((a) => a.environment === h.environment).map((a) => [a.model, `${a.model}@${a.number}`]));
    const slots = (status?.slots ?? []).map((s): FleetSlot => {
      const version = s.model ? `${s.model}@${s.version}` : null;
      const wanted = s.model ? (active.get(s.model) ?? null) : null;
      const total = Object.values(s.requests).reduce((n, c) => n + c, 0);
      const failed = (s.requests['5xx'] ?? 0) + (s.requests.error ?? 0) + (s.requests.unavailable ?? 0);
      return { slot: s.slot, version, healthy: s.healthy, expected: wanted !== null && wanted !== version ? wanted : null, p95Ms: s.latencyMs.p95, errorRate: total > 0 ? failed / total : null };
    });
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
