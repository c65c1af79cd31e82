import { AirlockError, StatusSchema, type HostDriftWindow, type HostStatus, type SlotDrift } from '@airlock/shared/common';
import type { Actor } from '../auth.js';
import type { Registry } from '../context.js';
import { storedJson } from '../db/stored.js';
import { environments } from '../repos/environments.js';
import { deploymentHosts } from '../repos/deployments.js';
import { hosts, type HostRow } from '../repos/hosts.js';
import { reports } from '../repos/reports.js';
import { reviews } from '../repos/reviews.js';
import { versions, type VersionView } from '../repos/versions.js';
import { parseVersionRef, refOf } from './refs.js';

/** Status reports read per host when drift is shown or compared: enough for a day of hourly windows. */
const HISTORY = 50;

const windowKey = (w: HostDriftWindow) => `${w.closedAt}#${w.index}`;

/**
 * The features an alarm is about: those alarmed themselves, or, when the model's alarm comes from
 * different features drifting in different windows, those that drifted in this one.
 */
const alarmed = (w: HostDriftWindow) => {
  const own = w.features.filter((f) => f.alarm);
  return own.length > 0 ? own : w.features.filter((f) => f.verdict === 'drift');
};

/** Effect of the strongest drifting feature, in words an operator can sort a queue by. */
function severity(w: HostDriftWindow): 'high' | 'medium' | 'low' {
  let effect = 0;
  for (const f of alarmed(w)) {
    const s = f.statistics;
    effect = Math.max(effect, Math.abs(s.meanShift ?? 0), s.wassersteinSd ?? 0, 5 * (s.totalVariation ?? 0), 5 * Math.abs(s.missingRate - s.referenceMissingRate), 5 * Math.abs((s.unseenRate ?? 0) - (s.referenceUnseenRate ?? 0)));
  }
  return effect >= 1 ? 'high' : effect >= 0.5 ? 'medium' : 'low';
}

function describeAlarm(host: string, w: HostDriftWindow): string {
  const features = alarmed(w)
    .map((f) => {
      const s = f.statistics;
      const how = s.decidedBy === 'mean' || s.decidedBy === 'chi-square' ? `${s.decidedBy}, shift ${(s.meanShift ?? 0).toFixed(2)}σ, W₁ ${(s.wassersteinSd ?? s.totalVariation ?? 0).toFixed(2)}` : s.decidedBy === 'unseen' ? `unseen values ${((s.unseenRate ?? 0) * 100).toFixed(1)} %` : `missing ${(s.missingRate * 100).toFixed(1)} %`;
      return `${f.name} (${how})`;
    });
  return `${host}: drift alarm in window ${w.index} (${w.n} requests, closed ${w.closedAt}), severity ${severity(w)}: ${features.join('; ')}.`;
}

/**
 * The version a host's drift entry is about, if the registry believes it: looked up by the digest the
 * host signed, named as the registry names it, and deployed to that host — a host key, stolen or not,
 * cannot speak for versions it was never given.
 */
function reportedVersion(reg: Registry, host: HostRow, d: SlotDrift): VersionView | null {
  const v = versions.byDigest(reg.db, d.digest);
  if (!v || v.model !== d.model || v.number !== d.version) return null;
  const given = deploymentHosts.takenBy(reg.db, host.id).some((t) => {
    const manifest = storedJson<{ slots: Record<string, { model: { digest: string } }> }>(t.manifest, `the manifest of deployment #${t.deployment_id}`);
    return Object.values(manifest.slots).some((s) => s.model.digest === v.digest);
  });
  return given ? v : null;
}

/**
 * Opens a drift review for each served version with a new alarm in this status report: windows that no
 * other report of the host carried, for a version deployed to it (`reportedVersion`). An open drift
 * review of that version takes further alarms (one per version).
 */
export function openDriftReviews(reg: Registry, host: HostRow, seq: number, status: HostStatus, open: (subject: string, detail: string) => void): void {
  const others = new Set<string>();
  for (const r of reports.statusHistory(reg.db, host.id, HISTORY)) {
    if (r.seq === seq) continue;
    for (const d of storedJson(r.body, `status report #${r.seq} of ${host.host_id}`, StatusSchema).drift) for (const w of d.windows) others.add(`${d.digest}/${windowKey(w)}`);
  }
  for (const d of status.drift) {
    const v = reportedVersion(reg, host, d);
    if (!v) continue;
    const fresh = d.windows.filter((w) => w.alarm && !others.has(`${d.digest}/${windowKey(w)}`));
    if (fresh.length === 0) continue;
    const subject = `version:${refOf(v)}`;
    if (reviews.openFor(reg.db, 'drift', subject)) continue;
    open(subject, describeAlarm(host.host_id, fresh.at(-1)!));
  }
}

export interface DriftShowInput {
  ref: string;
  env?: string | undefined;
  host?: string | undefined;
  /** newest windows kept per host and version */
  limit: number;
}

/**
 * Per version of a model, per host, the drift windows the hosts reported (oldest first, each once,
 * however many reports carried it), from the signed status reports the registry imported.
 */
export function showDrift(reg: Registry, _actor: Actor, input: DriftShowInput) {
  const ref = parseVersionRef(input.ref);
  const ofModel = new Map<string, VersionView>();
  for (const v of versions.all(reg.db)) if (v.model === ref.model && (ref.number === undefined || v.number === ref.number)) ofModel.set(v.digest, v);
  if (ofModel.size === 0) throw new AirlockError('NOT_FOUND', ref.number === undefined ? `Model "${ref.model}" has no versions.` : `${ref.model}@${ref.number} does not exist.`);
  let envId: number | undefined;
  if (input.env) {
    const env = environments.byName(reg.db, input.env);
    if (!env) throw new AirlockError('NOT_FOUND', `There is no environment "${input.env}".`);
    envId = env.id;
  }
  const chosen = hosts.list(reg.db).filter((h) => (input.host === undefined || h.host_id === input.host) && (envId === undefined || h.env_id === envId));
  if (input.host && chosen.length === 0) throw new AirlockError('NOT_FOUND', `There is no host "${input.host}"${input.env ? ` in ${input.env}` : ''}.`);
  const byVersion = new Map<string, { host: string; slot: string; tapped: number; windows: Map<string, HostDriftWindow> }[]>();
  for (const h of chosen) {
    const seen = new Map<string, { host: string; slot: string; tapped: number; windows: Map<string, HostDriftWindow> }>();
    // Whether the registry believes this host about a version under those names: asked once, not per report.
    const believed = new Map<string, boolean>();
    const believes = (d: SlotDrift) => {
      const key = `${d.digest}/${d.model}@${d.version}`;
      if (!believed.has(key)) believed.set(key, reportedVersion(reg, h, d) !== null);
      return believed.get(key)!;
    };
    // Oldest report first, so the newest report's count of tapped requests is the one kept.
    for (const r of reports.statusHistory(reg.db, h.id, HISTORY).reverse()) {
      for (const d of storedJson(r.body, `status report #${r.seq} of ${h.host_id}`, StatusSchema).drift) {
        if (!ofModel.has(d.digest) || !believes(d)) continue;
        const key = `${d.digest}/${d.slot}`;
        let entry = seen.get(key);
        if (!entry) {
          seen.set(key, (entry = { host: h.host_id, slot: d.slot, tapped: 0, windows: new Map() }));
          byVersion.set(d.digest, [...(byVersion.get(d.digest) ?? []), entry]);
        }
        entry.tapped = d.tapped;
        for (const w of d.windows) entry.windows.set(windowKey(w), w);
      }
    }
  }
  return {
    model: ref.model,
    versions: [...ofModel.values()]
      .filter((v) => byVersion.has(v.digest))
      .sort((a, b) => a.number - b.number)
      .map((v) => ({
        number: v.number,
        digest: v.digest,
        hosts: byVersion.get(v.digest)!.map((e) => ({
          host: e.host,
          slot: e.slot,
          tapped: e.tapped,
          windows: [...e.windows.values()].sort((a, b) => (a.closedAt < b.closedAt ? -1 : a.closedAt > b.closedAt ? 1 : a.index - b.index)).slice(-input.limit),
        })),
      })),
  };
}
