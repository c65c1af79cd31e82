import type { TargetStats } from '../proxy/slot-proxy.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Monotonic: a wall-clock step during probation neither cuts it short nor stretches it. */
export const systemClock: Clock = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface ProbationWatch {
  clock: Clock;
  durationMs: number;
  intervalMs: number;
  /** requests needed before the error budget is judged */
  minRequests: number;
  errorBudget: number;
  healthPath: string;
  /** the proxy's counts for the new release since it started serving */
  stats(): TargetStats;
  /** true once the new runtime has exited */
  exited(): boolean;
  probe(): Promise<boolean>;
}

/**
 * Probation: the new release serves, watched for `durationMs`. It fails when its runtime exits, when
 * more than the error budget of enough requests fail, or when its health path stops answering 200.
 * Returns why it failed, or null when it passed.
 */
export async function probation(w: ProbationWatch): Promise<string | null> {
  const until = w.clock.now() + w.durationMs;
  while (w.clock.now() < until) {
    await w.clock.sleep(Math.min(w.intervalMs, Math.max(0, until - w.clock.now())));
    if (w.exited()) return 'the runtime exited during probation';
    const s = w.stats();
    if (s.requests >= w.minRequests && s.errors / s.requests > w.errorBudget) {
      return `${s.errors} of ${s.requests} requests failed, over the ${w.errorBudget} error budget`;
    }
    if (w.clock.now() < until && !(await w.probe())) return `${w.healthPath} stopped answering 200`;
  }
  return w.exited() ? 'the runtime exited during probation' : null;
}
