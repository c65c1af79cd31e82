import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Latency buckets in seconds, from half a millisecond (a loopback hop) to ten seconds (a large LLM answer). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Outcome = '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'unavailable';

/** The slot proxies' request metrics, registered once per agent and labelled by slot and served version. */
export class ProxyMetrics {
  readonly requests: Counter<'slot' | 'version' | 'outcome'>;
  readonly duration: Histogram<'slot' | 'version'>;
  readonly inFlight: Gauge<'slot'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'airlock_proxy_requests_total', help: 'Requests handled by the slot proxy, by served version and outcome.', labelNames: ['slot', 'version', 'outcome'], registers });
    this.duration = new Histogram({ name: 'airlock_proxy_request_duration_seconds', help: 'Time from request to response end, by served version.', labelNames: ['slot', 'version'], buckets: LATENCY_BUCKETS_S, registers });
    this.inFlight = new Gauge({ name: 'airlock_proxy_in_flight_requests', help: 'Requests the slot proxy is handling now.', labelNames: ['slot'], registers });
  }

  forSlot(slot: string): SlotMetrics {
    return new SlotMetrics(this, slot);
  }
}

/** One slot's view of the proxy metrics: what the proxy records, and what status reports summarise. */
export class SlotMetrics {
  /** the release served now (model@version), so that latency after a switch is told apart */
  version = 'none';

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly slot: string,
  ) {
    metrics.inFlight.set({ slot }, 0);
  }

  started(): void {
    this.metrics.inFlight.inc({ slot: this.slot });
  }

  finished(outcome: Outcome, seconds: number): void {
    this.metrics.inFlight.dec({ slot: this.slot });
    this.metrics.requests.inc({ slot: this.slot, version: this.version, outcome });
    this.metrics.duration.observe({ slot: this.slot, version: this.version }, seconds);
  }

  /** Requests per outcome since the agent started, every version together. */
  async totals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const v of (await this.metrics.requests.get()).values) {
      if (v.labels.slot === this.slot) out[String(v.labels.outcome)] = (out[String(v.labels.outcome)] ?? 0) + v.value;
    }
    return out;
  }

  /**
   * Approximate percentiles in milliseconds over every version since the agent started: the upper
   * bound of the bucket the rank falls in (twice the largest bucket beyond it); null before any request.
   */
  async percentilesMs(ps: readonly number[]): Promise<(number | null)[]> {
    const below = new Map<number, number>();
    let count = 0;
    for (const v of (await this.metrics.duration.get()).values) {
      const labels: Record<string, string | number | undefined> = v.labels;
      if (labels.slot !== this.slot) continue;
      const le = Number(labels.le);
      if (v.metricName?.endsWith('_count')) count += v.value;
      else if (v.metricName?.endsWith('_bucket') && Number.isFinite(le)) below.set(le, (below.get(le) ?? 0) + v.value);
    }
    return ps.map((p) => {
      if (count === 0) return null;
      const bound = LATENCY_BUCKETS_S.find((b) => (below.get(b) ?? 0) >= (p / 100) * count);
      return (bound ?? LATENCY_BUCKETS_S.at(-1)! * 2) * 1000;
    });
  }

  /** Requests since the agent started, every outcome and version together. */
  async count(): Promise<number> {
    return Object.values(await this.totals()).reduce((a, b) => a + b, 0);
  }
}
