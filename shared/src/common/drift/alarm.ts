import type { DriftVerdict } from './summary.js';
import type { WindowVerdict } from './window-test.js';
import type { DriftWindow } from './summary.js';

/**
 * The operator-facing rule over consecutive windows: an alarm when at least ALARM_HITS of the last
 * ALARM_SPAN window verdicts are drift. A model tested window after window at a false-drift rate α per
 * window raises a false alarm at about 3α² per window (3 in 10,000 at α = 1 %), while a shift found in
 * a share π of windows is alarmed within three windows with probability π³ + 3π²(1 − π) (0.94 at
 * π = 0.85, 0.99 at π = 0.95). Insufficient windows count as no drift.
 */
export const ALARM_HITS = 2;
export const ALARM_SPAN = 3;

class Persistence {
  private recent: boolean[] = [];

  push(verdict: DriftVerdict): boolean {
    this.recent.push(verdict === 'drift');
    if (this.recent.length > ALARM_SPAN) this.recent.shift();
    return this.recent.filter(Boolean).length >= ALARM_HITS;
  }
}

/** Window verdicts in, windows with their alarms out; it keeps three verdicts per feature, no more. */
export class AlarmRule {
  private readonly model = new Persistence();
  private readonly features = new Map<string, Persistence>();
  private index = 0;

  next(w: WindowVerdict): DriftWindow {
    const features = w.features.map((f) => {
      let p = this.features.get(f.name);
      if (!p) this.features.set(f.name, (p = new Persistence()));
      return { name: f.name, n: f.n, verdict: f.verdict, alarm: p.push(f.verdict), statistics: f.statistics };
    });
    return { index: this.index++, n: w.n, verdict: w.verdict, alarm: this.model.push(w.verdict), features };
  }
}
