import { AirlockError, type HostStatus } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import type { Registry } from '../context.js';
import { activations } from '../repos/activations.js';
import { deploymentHosts } from '../repos/deployments.js';
import { hosts } from '../repos/hosts.js';
import { reports } from '../repos/reports.js';
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

/** The failed share of the requests a status counted (5xx, errors, unavailable), or null with none counted. */
function failedShare(requests: Record<string, number>): number | null {
  const total = Object.values(requests).reduce((n, c) => n + c, 0);
  const failed = (requests['5xx'] ?? 0) + (requests.error ?? 0) + (requests.unavailable ?? 0);
  return total > 0 ? failed / total : null;
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
      return { slot: s.slot, version, healthy: s.healthy, expected: wanted !== null && wanted !== version ? wanted : null, p95Ms: s.latencyMs.p95, errorRate: failedShare(s.requests) };
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

/** What a host reported over time, oldest first: per slot, the version, health, latency and error share of each status. */
export function hostHistory(reg: Registry, _actor: Actor, hostId: string, limit: number) {
  const host = hosts.byHostId(reg.db, hostId);
  if (!host) throw new AirlockError('NOT_FOUND', `There is no host "${hostId}"; \`airlock host list\` shows the enrolled ones.`);
  return reports
    .statusHistory(reg.db, host.id, limit)
    .reverse()
    .map((r) => {
      const status = storedJson<HostStatus>(r.body, `status report #${r.seq} of ${hostId}`);
      return {
        seq: r.seq,
        at: r.at,
        slots: status.slots.map((s) => ({ slot: s.slot, version: s.model ? `${s.model}@${s.version}` : null, healthy: s.healthy, p50Ms: s.latencyMs.p50, p95Ms: s.latencyMs.p95, p99Ms: s.latencyMs.p99, errorRate: failedShare(s.requests) })),
      };
    });
}
