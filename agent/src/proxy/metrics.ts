/** Request metrics per slot, in base units, rendered in the Prometheus text format. */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Outcome = '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'unavailable';

export class SlotMetrics {
  readonly requests = new Map<string, number>();
  readonly buckets = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
  sumSeconds = 0;
  count = 0;
  inFlight = 0;
  /** version label of the release currently served, bounded by slot and version */
  version = 'none';

  record(outcome: Outcome, seconds: number): void {
    const key = `${this.version}|${outcome}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let i = LATENCY_BUCKETS_S.findIndex((b) => seconds <= b);
    if (i === -1) i = LATENCY_BUCKETS_S.length;
    this.buckets[i]!++;
    this.sumSeconds += seconds;
    this.count++;
  }

  /** Approximate percentile from the histogram (upper bound of the bucket), in milliseconds. */
  percentileMs(p: number): number | null {
    if (this.count === 0) return null;
    const rank = (p / 100) * this.count;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return (LATENCY_BUCKETS_S[i] ?? LATENCY_BUCKETS_S.at(-1)! * 2) * 1000;
    }
    return null;
  }

  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.requests) {
      const outcome = key.split('|')[1]!;
      out[outcome] = (out[outcome] ?? 0) + n;
    }
    return out;
  }
}

export function renderPrometheus(slots: ReadonlyMap<string, SlotMetrics>, extra: string[] = []): string {
  const lines = [
    '# HELP airlock_proxy_requests_total Requests handled by the slot proxy, by outcome.',
    '# TYPE airlock_proxy_requests_total counter',
  ];
  for (const [slot, m] of slots) {
    for (const [key, n] of m.requests) {
      const [version, outcome] = key.split('|');
      lines.push(`airlock_proxy_requests_total{slot="${slot}",version="${version}",outcome="${outcome}"} ${n}`);
    }
  }
  lines.push('# HELP airlock_proxy_request_duration_seconds Time from request to response end.', '# TYPE airlock_proxy_request_duration_seconds histogram');
  for (const [slot, m] of slots) {
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((b, i) => {
      cumulative += m.buckets[i]!;
      lines.push(`airlock_proxy_request_duration_seconds_bucket{slot="${slot}",le="${b}"} ${cumulative}`);
    });
    lines.push(`airlock_proxy_request_duration_seconds_bucket{slot="${slot}",le="+Inf"} ${m.count}`);
    lines.push(`airlock_proxy_request_duration_seconds_sum{slot="${slot}"} ${m.sumSeconds}`);
    lines.push(`airlock_proxy_request_duration_seconds_count{slot="${slot}"} ${m.count}`);
  }
  lines.push('# HELP airlock_proxy_in_flight_requests Requests being handled now.', '# TYPE airlock_proxy_in_flight_requests gauge');
  for (const [slot, m] of slots) lines.push(`airlock_proxy_in_flight_requests{slot="${slot}"} ${m.inFlight}`);
  return `${[...lines, ...extra].join('\n')}\n`;
}
