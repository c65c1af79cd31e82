import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endToEnd } from './hop-by-hop.js';
import type { Outcome, SlotMetrics } from './metrics.js';

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

export interface SlotProxyOptions {
  fallback?: Fallback;
  /** a runtime that sends nothing for this long is answered 504 and counted as an error */
  requestTimeoutMs: number;
}

const MAX_BUFFERED_BODY = 1024 * 1024;
const RETRY_WAIT_MS = 250;

/**
 * One listening port per slot, forwarding to the active runtime. Switching the target is a pointer
 * swap: requests already in flight finish on the old runtime, new ones go to the new one. With no
 * healthy target it answers at once with 503 and a JSON body naming the slot, or the configured fallback.
 */
export class SlotProxy {
  private target: ProxyTarget | null = null;
  private reason = 'no release has been installed yet';
  private stats: TargetStats = { requests: 0, errors: 0 };
  private readonly upstream = new Agent({ keepAlive: true, maxSockets: 256 });
  private server: Server | undefined;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly fallback: Fallback | undefined;

  constructor(
    readonly slot: string,
    private readonly port: number,
    readonly metrics: SlotMetrics,
    private readonly opts: SlotProxyOptions = { requestTimeoutMs: 60_000 },
  ) {
    this.fallback = opts.fallback;
  }

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
    this.metrics.started();
    let outcome: Outcome = 'error';
    this.inFlight++;
    res.on('close', () => {
      this.metrics.finished(outcome, Number(process.hrtime.bigint() - started) / 1e9);
      if (--this.inFlight === 0) this.drained?.();
    });
    if (!target) {
      outcome = 'unavailable';
      const fb = this.fallback;
      res.writeHead(fb?.status ?? 503, { 'content-type': fb?.contentType ?? 'application/json' });
      res.end(fb?.body ?? JSON.stringify({ error: 'unavailable', slot: this.slot, reason: this.reason }));
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? (req.headers['transfer-encoding'] ? Number.NaN : 0));
    if (!(declared <= MAX_BUFFERED_BODY)) {
      this.forward(req, res, target, null, (o) => (outcome = o), false);
      return;
    }
    // Small bodies are buffered so that a request whose runtime died under it can be sent again to the
    // release the slot switched back to: the client never sees the switch.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.forward(req, res, target, Buffer.concat(chunks), (o) => (outcome = o), true));
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, body: Buffer | null, setOutcome: (o: Outcome) => void, mayRetry: boolean): void {
    const stats = this.stats;
    stats.requests++;
    // Our server has already answered any `Expect: 100-continue`; the runtime must not be asked again.
    const { expect: _answered, ...headers } = endToEnd(req.headers);
    const upstream = request(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers, agent: this.upstream },
      (up) => {
        const status = up.statusCode ?? 502;
        setOutcome(`${Math.floor(status / 100)}xx` as Outcome);
        if (status >= 500) stats.errors++;
        res.writeHead(status, endToEnd(up.headers));
        up.pipe(res);
      },
    );
    res.on('close', () => res.writableFinished || upstream.destroy());
    // A hung runtime must not hold the client: nothing from it for the timeout is a 504 and an error.
    upstream.setTimeout(this.opts.requestTimeoutMs, () => {
      if (res.headersSent || res.destroyed) return upstream.destroy();
      stats.errors++;
      setOutcome('error');
      upstream.removeAllListeners('error');
      upstream.on('error', () => undefined);
      upstream.destroy();
      res.writeHead(504, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'upstream_timeout', slot: this.slot, release: target.release, timeoutMs: this.opts.requestTimeoutMs }));
    });
    upstream.on('error', async () => {
      if (res.destroyed) return;
      stats.errors++;
      setOutcome('error');
      if (res.headersSent) return res.destroy();
      const next = mayRetry && body !== null ? await this.awaitOtherTarget(target) : null;
      if (next) return this.forward(req, res, next, body, setOutcome, false);
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'upstream_failed', slot: this.slot, release: target.release }));
    });
    if (body === null) req.pipe(upstream);
    else upstream.end(body);
  }

  /** After a failed attempt: the target the slot switches to within a moment, if it switches at all. */
  private async awaitOtherTarget(failed: ProxyTarget): Promise<ProxyTarget | null> {
    for (let waited = 0; waited <= RETRY_WAIT_MS; waited += 5) {
      if (this.target && this.target !== failed) return this.target;
      await new Promise((r) => setTimeout(r, 5));
    }
    return null;
  }

  /**
   * Stops accepting at once, lets requests in flight finish for up to `graceMs` (idle keep-alive
   * connections are closed, busy ones after their response), then closes whatever is left.
   */
  async close(graceMs = 0): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0 && graceMs > 0) {
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        setTimeout(resolve, graceMs).unref();
      });
      clearInterval(idle);
    }
    server.closeAllConnections();
    this.upstream.destroy();
    await closed;
  }
}
