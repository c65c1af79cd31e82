import { AlarmRule } from './alarm.js';
import { WindowCounter, type TapRecord } from './counter.js';
import type { DriftProfile } from './profile.js';
import type { DriftWindow } from './summary.js';
import { testWindow } from './window-test.js';

/**
 * Counts records into windows of `window` records exactly as a host does and tests each; a last
 * partial window is tested too (it may well be "insufficient").
 */
export function checkRecords(profile: DriftProfile, records: Iterable<TapRecord>, window: number): DriftWindow[] {
  const counter = new WindowCounter(profile);
  const rule = new AlarmRule();
  const out: DriftWindow[] = [];
  for (const r of records) {
    counter.observe(r);
    if (counter.size >= window) out.push(rule.next(testWindow(profile, counter.take())));
  }
  if (counter.size > 0) out.push(rule.next(testWindow(profile, counter.take())));
  return out;
}
