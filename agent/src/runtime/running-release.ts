import type { ReleaseMeta } from '../apply/release.js';
import type { TappedRelease } from '../drift/tap.js';
import { healthGate, probe } from './health.js';
import type { Runtime } from './supervisor.js';

export interface RunningEvents {
  /** the runtime exited (it restarts by itself, with backoff) */
  down(r: RunningRelease): void;
  /** a restarted runtime answers its health path again */
  up(r: RunningRelease): void;
}

/**
 * A release whose runtime is running, with the one watcher that runtime has: an exit marks it down,
 * and after each restart a probe loop marks it up again once it answers its health path.
 */
export class RunningRelease {
  up = true;
  /** the runtime has exited at least once: what probation watches */
  exited = false;
  private probing = false;
  /** the release's drift profile, read once it started; null when it has none */
  drift: TappedRelease | null = null;

  constructor(
    readonly meta: ReleaseMeta,
    readonly runtime: Runtime,
    private readonly events: RunningEvents,
    private readonly probeIntervalMs: number,
  ) {
    runtime.on('exit', () => {
      this.up = false;
      this.exited = true;
      this.events.down(this);
    });
    runtime.on('restarted', () => void this.awaitHealthy());
  }

  get id(): string {
    return this.meta.id;
  }

  get version(): number {
    return this.meta.slot.model.version;
  }

  private async awaitHealthy(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      while (!this.up && !this.runtime.stopped) {
        if (await probe(this.runtime.port, this.meta.slot.health.path, 1000)) {
          if (this.runtime.stopped) return;
          this.up = true;
          this.events.up(this);
          return;
        }
        await new Promise((r) => setTimeout(r, this.probeIntervalMs));
      }
    } finally {
      this.probing = false;
    }
  }

  stop(): Promise<void> {
    return this.runtime.stop();
  }
}

/** Starts a release's runtime and holds it to its health gate; a runtime that fails the gate is stopped. */
export async function startRelease(meta: ReleaseMeta, runtime: Runtime, events: RunningEvents, probeIntervalMs: number): Promise<RunningRelease> {
  runtime.start();
  const running = new RunningRelease(meta, runtime, events, probeIntervalMs);
  try {
    await healthGate(runtime.port, meta.slot.health, () => !running.exited);
  } catch (err) {
    await runtime.stop();
    throw err;
  }
  return running;
}
