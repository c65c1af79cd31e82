import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import type { DriftTap, TappedRelease } from '../drift/tap.js';
import { endToEnd } from './hop-by-hop.js';
import type { Outcome, SlotMetrics } from './metrics.js';

export interface ProxyTarget {
  port: number;
  release: string;
  version: string;
  /** the served release's drift profile, when it has one */
  drift?: TappedRelease | null;
  /** an LLM release: its answers' token counts and finish reasons are recorded */
  llm?: boolean;
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
  /** counts a share of the exchanges with a body into the served release's drift profile */
  tap?: DriftTap;
  /** bodies larger than this are not tapped */
  tapMaxBytes?: number;
}

const MAX_BUFFERED_BODY = 1024 * 1024;
const RETRY_WAIT_MS = 250;
const CONNECTIONS_PER_RUNTIME = 64;
const OUTCOME_BY_CLASS: Outcome[] = ['error', 'error', '2xx', '3xx', '4xx', '5xx'];

/** One request through the proxy: what it knows is kept here rather than in closures per request. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  outcome: Outcome;
  /** the buffered body, to send again after a failed attempt; null when it streams */
  body: Buffer | null;
  headers: string[];
  abort: ((err?: Error) => void) | null;
  /** counted by the drift tap when it completes with a 2xx answer */
  tapped: boolean;
  /** the answer's body, kept when the tap reads it or the release is an LLM */
  reply: Buffer[] | null;
  replyBytes: number;
}

/**
 * One listening port per slot, forwarding to the active runtime through a keep-alive pool per runtime
 * (undici's dispatcher: the lightest HTTP client Node has). Switching the target is a pointer swap:
 * requests already in flight finish on the old runtime, new ones go to the new one. With no healthy
 * target it answers at once with 503 and a JSON body naming the slot, or the configured fallback.
 */
export class SlotProxy {
  private target: ProxyTarget | null = null;
  private reason = 'no release has been installed yet';
  private stats: TargetStats = { requests: 0, errors: 0 };
  private readonly pools = new Map<number, Pool>();
  private server: Server | undefined;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly fallback: Fallback | undefined;
  private readonly tap: DriftTap | undefined;
  private readonly tapMaxBytes: number;

  constructor(
    readonly slot: string,
    private readonly port: number,
    readonly metrics: SlotMetrics,
    private readonly opts: SlotProxyOptions = { requestTimeoutMs: 60_000 },
  ) {
    this.fallback = opts.fallback;
    this.tap = opts.tap;
    this.tapMaxBytes = opts.tapMaxBytes ?? DEFAULT_TAP_MAX_BYTES;
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
    if (target) this.tap?.serve(target.drift ?? null);
    // Pools of other runtimes close once their requests in flight are done.
    for (const [port, pool] of this.pools) {
      if (port === target?.port) continue;
      this.pools.delete(port);
      void pool.close().catch(() => undefined);
    }
  }

  get current(): ProxyTarget | null {
    return this.target;
  }

  get targetStats(): TargetStats {
    return this.stats;
  }

  private pool(port: number): Pool {
    let pool = this.pools.get(port);
    if (!pool) {
      pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS_PER_RUNTIME, pipelining: 1, keepAliveTimeout: 4000 });
      this.pools.set(port, pool);
    }
    return pool;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const x: Exchange = { req, res, started: performance.now(), outcome: 'error', body: null, headers: endToEnd(req.rawHeaders, 'expect'), abort: null, tapped: false, reply: null, replyBytes: 0 };
    this.inFlight++;
    this.metrics.started();
    res.on('close', () => this.closed(x));
    const target = this.target;
    if (!target) {
      x.outcome = 'unavailable';
      const fb = this.fallback;
      res.writeHead(fb?.status ?? 503, { 'content-type': fb?.contentType ?? 'application/json' });
      res.end(fb?.body ?? JSON.stringify({ error: 'unavailable', slot: this.slot, reason: this.reason }));
      req.resume();
      return;
    }
    const length = req.headers['content-length'];
    const declared = length === undefined ? (req.headers['transfer-encoding'] ? Number.NaN : 0) : Number(length);
    if (!(declared <= MAX_BUFFERED_BODY)) return this.forward(x, target, false);
    // Requests with a body are tapped whatever their content type says (clients often send JSON as
    // text/plain); a body that is not JSON counts as every request feature missing.
    x.tapped = declared > 0 && declared <= this.tapMaxBytes && this.tap !== undefined && this.tap.sample();
    // Small bodies are buffered so that a request whose runtime died under it can be sent again to the
    // release the slot switched back to: the client never sees the switch.
    if (declared === 0) {
      req.resume();
      x.body = EMPTY;
      return this.forward(x, target, true);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      x.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.forward(x, target, true);
    });
  }

  private closed(x: Exchange): void {
    if (!x.res.writableFinished) x.abort?.();
    this.metrics.finished(x.outcome, (performance.now() - x.started) / 1000);
    if (--this.inFlight === 0) this.drained?.();
  }

  private forward(x: Exchange, target: ProxyTarget, mayRetry: boolean): void {
    if (x.res.destroyed) return;
    const stats = this.stats;
    stats.requests++;
    const { req, res } = x;
    const timeout = this.opts.requestTimeoutMs;
    const body = x.body === null ? req : x.body.length > 0 ? x.body : null;
    const options: Dispatcher.DispatchOptions = { method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: x.headers, body, headersTimeout: timeout, bodyTimeout: timeout };
    this.pool(target.port).dispatch(options, {
      onConnect: (abort) => {
        x.abort = abort;
      },
      onHeaders: (status, raw, resume) => {
        // An informational answer (102, 103) comes before the real one; the client gets the real one.
        if (status < 200) return true;
        x.outcome = OUTCOME_BY_CLASS[Math.floor(status / 100)] ?? 'error';
        if (status < 300 && ((x.tapped && this.tap!.wantsResponse) || target.llm)) x.reply = [];
        if (status >= 500) stats.errors++;
        const headers: string[] = [];
        for (const h of raw as Buffer[]) headers.push(h.toString('latin1'));
        res.writeHead(status, endToEnd(headers));
        // These have no body whatever their headers say: answered now, and a stray body is dropped.
        if (status === 204 || status === 304 || req.method === 'HEAD') res.end();
        else res.on('drain', resume);
        return true;
      },
      onData: (chunk) => {
        if (x.reply !== null) this.keepReply(x, chunk);
        return res.writableEnded || res.write(chunk);
      },
      onComplete: () => {
        if (!res.writableEnded) res.end();
        if (x.outcome === '2xx') this.answered(x, target);
      },
      onError: (err) => void this.failed(x, target, mayRetry, err),
    });
  }

  /** A 2xx answer is complete: the tap counts it, and an LLM release's usage is read from it. */
  private answered(x: Exchange, target: ProxyTarget): void {
    const reply = x.reply === null ? null : x.reply.length === 1 ? x.reply[0]! : Buffer.concat(x.reply);
    if (x.tapped) this.tap!.observe(x.body, reply);
    if (target.llm && reply) this.metrics.llm.record(target.version, reply, (performance.now() - x.started) / 1000);
  }

  /** Keeps the answer up to the size limit; a larger one is neither tapped for its features nor read for usage. */
  private keepReply(x: Exchange, chunk: Buffer): void {
    x.replyBytes += chunk.length;
    if (x.replyBytes <= this.tapMaxBytes) return void x.reply!.push(chunk);
    x.reply = null;
    // Counted without its answer, the answer's features would read as missing: not tapped at all.
    if (this.tap?.wantsResponse) x.tapped = false;
  }

  /** An attempt failed: resend to the release the slot switches to, or answer 504 (timeout) or 502. */
  private async failed(x: Exchange, target: ProxyTarget, mayRetry: boolean, err: Error): Promise<void> {
    const { res } = x;
    if (res.destroyed || res.writableEnded) return;
    this.stats.errors++;
    x.outcome = 'error';
    if (res.headersSent) return void res.destroy();
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      res.writeHead(504, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'upstream_timeout', slot: this.slot, release: target.release, timeoutMs: this.opts.requestTimeoutMs }));
      return;
    }
    const next = mayRetry && x.body !== null ? await this.awaitOtherTarget(target) : null;
    if (next) return this.forward(x, next, false);
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'upstream_failed', slot: this.slot, release: target.release }));
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
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
    await closed;
  }
}

const EMPTY = Buffer.alloc(0);
const DEFAULT_TAP_MAX_BYTES = 256 * 1024;
