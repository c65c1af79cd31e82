import { DriftChecker, HostDriftWindowSchema, type DriftProfile, type HostDriftWindow, type SlotDrift } from '@airlock/shared/common';
import type { DriftConfig } from '../config.js';

/** The release a tap counts for: its profile, and what its windows are reported under. */
export interface TappedRelease {
  profile: DriftProfile;
  model: string;
  version: number;
  digest: string;
}

const parse = (body: Buffer | null): unknown => {
  if (body === null || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/**
 * One slot's drift tap: a share of the exchanges the proxy completes is counted into the served
 * release's profile bins; a window closes after `windowRequests` tapped requests or `windowSeconds`,
 * whichever comes first, is tested, and joins the last `keepWindows`. Memory is the bins and the kept
 * windows: it does not grow with traffic, and no body outlives the call that counts it.
 */
export class DriftTap {
  private release: TappedRelease | null = null;
  private checker: DriftChecker | null = null;
  private readonly closed: { release: TappedRelease; window: HostDriftWindow }[] = [];
  private readonly tappedBy = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** whether any feature reads the response, so the proxy keeps a copy of it */
  wantsResponse = false;

  constructor(
    readonly slot: string,
    private readonly cfg: DriftConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (cfg.windowSeconds > 0) {
      this.timer = setInterval(() => this.closeWindow(), cfg.windowSeconds * 1000);
      this.timer.unref();
    }
  }

  /**
   * The release the slot now serves, with its profile, or null for a release without one: another
   * release closes the window and starts a new alarm history. (A slot serving nothing for a moment
   * does not call this: its window simply waits.)
   */
  serve(release: TappedRelease | null): void {
    if (release?.digest === this.release?.digest) return;
    this.closeWindow();
    this.release = release;
    this.checker = release ? new DriftChecker(release.profile, this.cfg.windowRequests) : null;
    this.wantsResponse = release?.profile.features.some((f) => f.spec.from === 'response') ?? false;
  }

  /** Whether to tap the exchange now starting: a profile is served and the sample says so. */
  sample(): boolean {
    return this.checker !== null && (this.cfg.sampleRate >= 1 || Math.random() < this.cfg.sampleRate);
  }

  observe(request: Buffer | null, response: Buffer | null): void {
    const release = this.release;
    if (!release || !this.checker) return;
    this.tappedBy.set(release.digest, (this.tappedBy.get(release.digest) ?? 0) + 1);
    const w = this.checker.push({ request: parse(request), response: this.wantsResponse ? parse(response) : undefined });
    if (w) this.keep(w);
  }

  private closeWindow(): void {
    const w = this.checker?.finish();
    if (w) this.keep(w);
  }

  private keep(w: Omit<HostDriftWindow, 'closedAt'>): void {
    const window = HostDriftWindowSchema.safeParse({ ...w, closedAt: this.now().toISOString() });
    // The statistics are finite by construction; a window that still breaks the report's schema is
    // dropped here rather than stopping every status report that would carry it.
    if (!window.success) return;
    this.closed.push({ release: this.release!, window: window.data });
    if (this.closed.length > this.cfg.keepWindows) this.closed.shift();
  }

  /** Requests tapped since the agent started, every release together. */
  get tapped(): number {
    let n = 0;
    for (const v of this.tappedBy.values()) n += v;
    return n;
  }

  /** The newest closed window and the release it tested, for the gauges. */
  get latest(): { release: TappedRelease; window: HostDriftWindow } | undefined {
    return this.closed.at(-1);
  }

  /** The kept windows grouped by the release they tested, for status and signed reports. */
  summary(): SlotDrift[] {
    const out = new Map<string, SlotDrift>();
    for (const { release, window } of this.closed) {
      let d = out.get(release.digest);
      if (!d) out.set(release.digest, (d = { slot: this.slot, model: release.model, version: release.version, digest: release.digest, tapped: this.tappedBy.get(release.digest) ?? 0, windows: [] }));
      d.windows.push(window);
    }
    return [...out.values()];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
