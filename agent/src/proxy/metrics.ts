import type { Registry } from 'prom-client';
import { FINISH_REASONS, SlotLlmUsage, TOKEN_TIME_BUCKETS_S, type VersionUsage } from './llm-usage.js';

/** One sample as a prom-client registry renders it; histogram parts name their own series. */
type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string };

/** Latency buckets in seconds, from half a millisecond (a loopback hop) to ten seconds (a large LLM answer). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const OUTCOMES = ['2xx', '3xx', '4xx', '5xx', 'error', 'unavailable'] as const;
export type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;

/** What one slot served with one release: counts per outcome and a latency histogram, as plain numbers. */
class Series {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  readonly buckets = new Float64Array(LATENCY_BUCKETS_S.length);
  sum = 0;
  count = 0;

  record(outcome: Outcome, seconds: number): void {
    this.outcomes[OUTCOME_INDEX[outcome]]!++;
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[i]!) i++;
    if (i < LATENCY_BUCKETS_S.length) this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** A metric as a prom-client registry reads it (its `get()`), computed from the proxies' own numbers at scrape time. */
interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] }>;
  reset(): void;
}

/**
 * The slot proxies' request metrics. The proxy's hot path only adds to numbers in arrays (no label
 * hashing, no per-request objects); the Prometheus series — requests by slot, served version and
 * outcome, the latency histogram, requests in flight — are built from them when `/metrics` is read.
 */
export class ProxyMetrics {
  private readonly slots = new Map<string, SlotMetrics>();

  constructor(registry: Registry) {
    const expose = (name: string, help: string, type: Exposed['type'], values: () => MetricValue[]) => {
      const metric: Exposed = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }), reset: () => undefined };
      registry.registerMetric(metric as never);
    };
    expose('airlock_proxy_requests_total', 'Requests handled by the slot proxy, by served version and outcome.', 'counter', () =>
      [...this.slots.values()].flatMap((s) => s.requestValues()),
    );
    expose('airlock_proxy_request_duration_seconds', 'Time from request to response end, by served version.', 'histogram', () => [...this.slots.values()].flatMap((s) => s.durationValues()));
    const llm = (pick: (slot: string, version: string, u: VersionUsage) => MetricValue[]) => () =>
      [...this.slots.values()].flatMap((s) => [...s.llm.versions].flatMap(([version, u]) => pick(s.slot, version, u)));
    expose('airlock_llm_answers_total', 'Answers of LLM releases, by slot and version.', 'counter', llm((slot, version, u) => [{ labels: { slot, version }, value: u.answers }]));
    expose('airlock_llm_prompt_tokens_total', 'Prompt tokens LLM releases reported in their answers (usage.prompt_tokens).', 'counter', llm((slot, version, u) => [{ labels: { slot, version }, value: u.promptTokens }]));
    expose('airlock_llm_completion_tokens_total', 'Output tokens LLM releases reported in their answers (usage.completion_tokens).', 'counter', llm((slot, version, u) => [{ labels: { slot, version }, value: u.completionTokens }]));
    expose('airlock_llm_finish_reasons_total', `Answers by the finish reason the runtime gave (${FINISH_REASONS.join(', ')}).`, 'counter', llm((slot, version, u) => [...u.finish].map(([reason, value]) => ({ labels: { slot, version, reason }, value }))));
    expose('airlock_llm_time_per_output_token_seconds', 'Answer time divided by the output tokens it reported.', 'histogram', llm((slot, version, u) => {
      if (u.tokenTimeCount === 0) return [];
      const labels = { slot, version };
      let cumulative = 0;
      const out: MetricValue[] = TOKEN_TIME_BUCKETS_S.map((le, i) => ({ metricName: 'airlock_llm_time_per_output_token_seconds_bucket', labels: { le, ...labels }, value: (cumulative += u.tokenTime[i]!) }));
      out.push({ metricName: 'airlock_llm_time_per_output_token_seconds_bucket', labels: { le: '+Inf', ...labels }, value: u.tokenTimeCount });
      out.push({ metricName: 'airlock_llm_time_per_output_token_seconds_sum', labels, value: u.tokenTimeSum });
      out.push({ metricName: 'airlock_llm_time_per_output_token_seconds_count', labels, value: u.tokenTimeCount });
      return out;
    }));
    expose('airlock_proxy_in_flight_requests', 'Requests the slot proxy is handling now.', 'gauge', () => [...this.slots.values()].map((s) => ({ labels: { slot: s.slot }, value: s.inFlight })));
  }

  forSlot(slot: string): SlotMetrics {
    const m = new SlotMetrics(slot);
    this.slots.set(slot, m);
    return m;
  }
}

/** One slot's view of the proxy metrics: what the proxy records, and what status reports summarise. */
export class SlotMetrics {
  inFlight = 0;
  /** tokens and finish reasons of the LLM releases this slot served */
  readonly llm = new SlotLlmUsage();
  private readonly series = new Map<string, Series>();
  private current: Series;
  private served = 'none';

  constructor(readonly slot: string) {
    this.current = this.seriesOf('none');
  }

  private seriesOf(version: string): Series {
    let s = this.series.get(version);
    if (!s) this.series.set(version, (s = new Series()));
    return s;
  }

  /** the release served now (model@version), so that latency after a switch is told apart */
  get version(): string {
    return this.served;
  }

  set version(version: string) {
    this.served = version;
    this.current = this.seriesOf(version);
  }

  started(): void {
    this.inFlight++;
  }

  finished(outcome: Outcome, seconds: number): void {
    this.inFlight--;
    this.current.record(outcome, seconds);
  }

  requestValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [version, s] of this.series) {
      s.outcomes.forEach((value, i) => value > 0 && out.push({ labels: { slot: this.slot, version, outcome: OUTCOMES[i]! }, value }));
    }
    return out;
  }

  durationValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [version, s] of this.series) {
      if (s.count === 0) continue;
      const labels = { slot: this.slot, version };
      let cumulative = 0;
      s.buckets.forEach((n, i) => {
        cumulative += n;
        out.push({ metricName: 'airlock_proxy_request_duration_seconds_bucket', labels: { le: LATENCY_BUCKETS_S[i]!, ...labels }, value: cumulative });
      });
      out.push({ metricName: 'airlock_proxy_request_duration_seconds_bucket', labels: { le: '+Inf', ...labels }, value: s.count });
      out.push({ metricName: 'airlock_proxy_request_duration_seconds_sum', labels, value: s.sum });
      out.push({ metricName: 'airlock_proxy_request_duration_seconds_count', labels, value: s.count });
    }
    return out;
  }

  /** Requests per outcome since the agent started, every version together. */
  async totals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of this.series.values()) s.outcomes.forEach((n, i) => n > 0 && (out[OUTCOMES[i]!] = (out[OUTCOMES[i]!] ?? 0) + n));
    return out;
  }

  /**
   * Approximate percentiles in milliseconds over every version since the agent started: the upper
   * bound of the bucket the rank falls in (twice the largest bucket beyond it); null before any request.
   */
  async percentilesMs(ps: readonly number[]): Promise<(number | null)[]> {
    const buckets = new Float64Array(LATENCY_BUCKETS_S.length);
    let count = 0;
    for (const s of this.series.values()) {
      s.buckets.forEach((n, i) => (buckets[i]! += n));
      count += s.count;
    }
    return ps.map((p) => {
      if (count === 0) return null;
      let below = 0;
      const i = LATENCY_BUCKETS_S.findIndex((_, j) => (below += buckets[j]!) >= (p / 100) * count);
      return (i === -1 ? LATENCY_BUCKETS_S.at(-1)! * 2 : LATENCY_BUCKETS_S[i]!) * 1000;
    });
  }

  /** Requests since the agent started, every outcome and version together. */
  async count(): Promise<number> {
    return Object.values(await this.totals()).reduce((a, b) => a + b, 0);
  }
}
