import { Counter, Gauge, type Registry } from 'prom-client';
import { DRIFT_VERDICTS, type FeatureStatistics } from '@airlock/shared/common';
import type { DriftTap } from './tap.js';

type Labels = 'slot' | 'version' | 'feature';

/**
 * Drift as Prometheus reads it: the newest closed window of each slot, per feature (its verdict, its
 * alarm and the statistics behind them). Gauges are rebuilt from the taps at each scrape, so a feature
 * that is no longer served disappears.
 */
export function exposeDrift(registry: Registry, taps: () => Iterable<DriftTap>): void {
  const registers = [registry];
  // Registered first: its collect rebuilds every drift gauge before any is read, so all come from the same windows.
  const verdict: Gauge<Labels> = new Gauge<Labels>({
    name: 'airlock_drift_verdict',
    help: `Newest window's verdict per feature: ${DRIFT_VERDICTS.map((v, i) => `${i} ${v}`).join(', ')}.`,
    labelNames: ['slot', 'version', 'feature'],
    registers,
    collect: () => rebuild(),
  });
  const gauge = (name: string, help: string, pick: (s: FeatureStatistics) => number | undefined) => ({ pick, gauge: new Gauge<Labels>({ name, help, labelNames: ['slot', 'version', 'feature'], registers }) });
  const stats = [
    gauge('airlock_drift_psi', 'Population stability index of the newest window against the reference profile.', (s) => s.psi),
    gauge('airlock_drift_jensen_shannon', 'Jensen–Shannon divergence (bits) of the newest window against the reference profile.', (s) => s.jensenShannon),
    gauge('airlock_drift_chi_square_p_value', 'p-value of the chi-square homogeneity test of the newest window against the reference counts.', (s) => s.pChiSquare),
    gauge('airlock_drift_wasserstein_sd', 'Wasserstein-1 distance between the binned window and reference, in reference standard deviations.', (s) => s.wassersteinSd),
    gauge('airlock_drift_mean_shift_sd', 'Window mean minus reference mean, in reference standard deviations.', (s) => s.meanShift),
    gauge('airlock_drift_missing_rate', 'Share of tapped requests in the newest window without the feature.', (s) => s.missingRate),
    gauge('airlock_drift_unseen_rate', 'Share of values in the newest window outside the profile\'s categories.', (s) => s.unseenRate),
  ];
  const alarm = new Gauge<Labels>({ name: 'airlock_drift_alarm', help: 'Whether the drift alarm (two of the last three windows drifting) stands after the newest window.', labelNames: ['slot', 'version', 'feature'], registers });
  const windows = new Gauge<'slot' | 'version'>({ name: 'airlock_drift_window_requests', help: 'Tapped requests in the newest closed window.', labelNames: ['slot', 'version'], registers });
  new Counter({
    name: 'airlock_drift_tapped_requests_total',
    help: 'Requests the drift tap counted, by slot.',
    labelNames: ['slot'],
    registers,
    collect() {
      this.reset();
      for (const t of taps()) this.inc({ slot: t.slot }, t.tapped);
    },
  });
  const rebuild = () => {
    for (const g of [verdict, alarm, windows, ...stats.map((s) => s.gauge)]) g.reset();
    for (const t of taps()) {
      const latest = t.latest;
      if (!latest) continue;
      const version = `${latest.release.model}@${latest.release.version}`;
      windows.set({ slot: t.slot, version }, latest.window.n);
      for (const f of latest.window.features) {
        const labels = { slot: t.slot, version, feature: f.name };
        verdict.set(labels, DRIFT_VERDICTS.indexOf(f.verdict));
        alarm.set(labels, f.alarm ? 1 : 0);
        for (const s of stats) {
          const v = s.pick(f.statistics);
          if (v !== undefined) s.gauge.set(labels, v);
        }
      }
    }
  };
}
