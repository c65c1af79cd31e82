import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlotMetrics, type Outcome } from './metrics.js';

export interface ProxyTarget {
  port: number;
  release: string;
  version: string;
}

export interface Fallback {
  status: number;
  contentType: string;
  body: string;
}

/** Error and request counts toward one target since it started serving (the probation window). */
export interface TargetStats {
  requests: number;
  errors: number;
}

/**
 * One listening port per slot, forwarding to the active runtime. Switching the target is a pointer
 * swap: requests already in flight finish on the old runtime, new ones go to the new one. With no
 * healthy target it answers at once with 503 and a JSON body naming the slot, or the configured fallback.
 */
export class SlotProxy {
  readonly metrics = new SlotMetrics();
  private target: ProxyTarget | null = null;
  private reason = 'no release has been installed yet';
  private stats: TargetStats = { requests: 0, errors: 0 };
  private readonly upstream = new Agent({ keepAlive: true, maxSockets: 256 });
  private server: Server | undefined;

  constructor(
    readonly slot: string,
    private readonly port: number,
    private readonly fallback?: Fallback,
  ) {}

  async listen(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  setTarget(target: ProxyTarget | null, reason = 'no healthy release'): void {
    this.target = target;
    this.reason = reason;
    this.stats = { requests: 0, errors: 0 };
    this.metrics.version = target?.version ?? 'none';
  }

  get current(): ProxyTarget | null {
    return this.target;
  }

  get targetStats(): TargetStats {
    return this.stats;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const target = this.target;
    const stats = this.stats;
    this.metrics.inFlight++;
    let outcome: Outcome = 'error';
    res.on('close', () => {
      this.metrics.inFlight--;
      this.metrics.record(outcome, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (!target) {
      outcome = 'unavailable';
      const fb = this.fallback;
      res.writeHead(fb?.status ?? 503, { 'content-type': fb?.contentType ?? 'application/json' });
      res.end(fb?.body ?? JSON.stringify({ error: 'unavailable', slot: this.slot, reason: this.reason }));
      req.resume();
      return;
    }
    stats.requests++;
    const upstream = request(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers, agent: this.upstream },
      (up) => {
        const status = up.statusCode ?? 502;
        outcome = `${Math.floor(status / 100)}xx` as Outcome;
        if (status >= 500) stats.errors++;
        res.writeHead(status, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      stats.errors++;
      outcome = 'error';
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'upstream_failed', slot: this.slot, release: target.release }));
      } else res.destroy();
    });
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    this.upstream.destroy();
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
