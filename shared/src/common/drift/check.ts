import { AirlockError } from '../errors.js';
import { AlarmRule } from './alarm.js';
import { WindowCounter, type TapRecord } from './counter.js';
import type { DriftProfile } from './profile.js';
import type { DriftWindow } from './summary.js';
import { testWindow } from './window-test.js';

/** A line of a reference or traffic file as the tap would see it: a request body, or a pair. */
export function tapRecordOf(value: unknown, shape: DriftProfile['referenceShape'], where: string): TapRecord {
  if (shape === 'records') return { request: value };
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('request' in value)) {
    throw new AirlockError('INVALID_INPUT', `${where} is not a {"request", "response"} pair, as the monitoring spec's referenceShape "pairs" says.`);
  }
  const pair = value as { request: unknown; response?: unknown };
  return { request: pair.request, response: pair.response };
}

/** Counts records into windows of `window` records exactly as a host does, testing each as it closes. */
export class DriftChecker {
  private readonly counter: WindowCounter;
  private readonly rule = new AlarmRule();

  constructor(
    private readonly profile: DriftProfile,
    private readonly window: number,
  ) {
    this.counter = new WindowCounter(profile);
  }

  push(record: TapRecord): DriftWindow | undefined {
    this.counter.observe(record);
    return this.counter.size >= this.window ? this.close() : undefined;
  }

  /** The last, partial window (it may well be "insufficient"), if any record is in it. */
  finish(): DriftWindow | undefined {
    return this.counter.size > 0 ? this.close() : undefined;
  }

  private close(): DriftWindow {
    return this.rule.next(testWindow(this.profile, this.counter.take()));
  }
}

export function checkRecords(profile: DriftProfile, records: Iterable<TapRecord>, window: number): DriftWindow[] {
  const checker = new DriftChecker(profile, window);
  const out: DriftWindow[] = [];
  for (const r of records) {
    const w = checker.push(r);
    if (w) out.push(w);
  }
  const last = checker.finish();
  if (last) out.push(last);
  return out;
}
