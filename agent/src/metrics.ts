import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { exposeDrift } from './drift/metrics.js';
import type { DriftTap } from './drift/tap.js';
import { ProxyMetrics } from './proxy/metrics.js';
import { AGENT_VERSION } from './version.js';

/**
 * Everything `/metrics` serves, in one registry per agent: the process metrics Node exporters
 * conventionally give (prom-client's defaults), what the agent is, whether each slot is healthy, what
 * became of the bundles it was given, the slot proxies' request metrics, and drift.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly proxy = new ProxyMetrics(this.registry);
  private readonly applies: Counter<'channel'>;
  private readonly refusals: Counter<'code'>;
  private readonly rollbacks: Counter<'slot' | 'reason'>;

  constructor(slotsHealthy: () => Iterable<[string, boolean]>, taps: () => Iterable<DriftTap> = () => []) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` refuses; the per-type gauges without
    // the suffix (nodejs_active_handles and the like) say the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    new Gauge({ name: 'airlock_build_info', help: 'The agent build: always 1, labelled with its version and Node.js version.', labelNames: ['version', 'node'], registers }).set({ version: AGENT_VERSION, node: process.version }, 1);
    new Gauge({ name: 'airlock_agent_up', help: 'Whether the agent is running: always 1 while it answers.', registers }).set(1);
    new Gauge({
      name: 'airlock_slot_healthy',
      help: 'Whether the slot serves a release whose health checks pass (1) or not (0).',
      labelNames: ['slot'],
      registers,
      collect() {
        for (const [slot, healthy] of slotsHealthy()) this.set({ slot }, healthy ? 1 : 0);
      },
    });
    exposeDrift(this.registry, taps);
    this.applies = new Counter({ name: 'airlock_bundle_applies_total', help: 'Bundles applied and committed, by channel.', labelNames: ['channel'], registers });
    this.refusals = new Counter({ name: 'airlock_bundle_refusals_total', help: 'Bundles refused before anything was installed, by error code.', labelNames: ['code'], registers });
    this.rollbacks = new Counter({ name: 'airlock_rollbacks_total', help: 'Releases rolled back, by slot and reason (an error code, or MANUAL_ROLLBACK).', labelNames: ['slot', 'reason'], registers });
  }

  applied(channel: string): void {
    this.applies.inc({ channel });
  }

  refused(code: string): void {
    this.refusals.inc({ code });
  }

  rolledBack(slot: string, reason: string): void {
    this.rollbacks.inc({ slot, reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
