import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ProxyMetrics } from './metrics.js';
import { SlotProxy, type ProxyTarget, type SlotProxyOptions } from './slot-proxy.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** A real runtime on a free port that hands each complete request to `handler`. */
async function runtime(release: string, handler: Handler): Promise<ProxyTarget & { server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({ close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) });
  return { server, port: (server.address() as AddressInfo).port, release, version: release };
}

async function proxyTo(target: ProxyTarget | null, opts: Partial<SlotProxyOptions> = {}): Promise<{ proxy: SlotProxy; port: number; metrics: () => Promise<string> }> {
  const registry = new Registry();
  const proxy = new SlotProxy('main', 0, new ProxyMetrics(registry).forSlot('main'), { requestTimeoutMs: 60_000, ...opts });
  const port = await proxy.listen();
  open.push(proxy);
  proxy.setTarget(target);
  return { proxy, port, metrics: () => registry.metrics() };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const echo: Handler = (req, body, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, sha256: createHash('sha256').update(body).digest('hex'), length: body.length }));
};
const json = (r: Reply) => JSON.parse(r.body.toString()) as { method: string; url: string; headers: IncomingHttpHeaders; sha256: string; length: number };

describe('slot proxy', () => {
  it('forwards method, path, query and body, and answers with the runtime status and headers', async () => {
    const rt = await runtime('r1', (req, body, res) => {
      res.writeHead(201, { 'x-model': 'churn', 'set-cookie': ['a=1', 'b=2'] });
      res.end(`${req.method} ${req.url} ${body.toString()}`);
    });
    const { port } = await proxyTo(rt);
    const r = await send(port, { method: 'POST', path: '/predict?explain=1', body: Buffer.from('{"x":1}'), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(201);
    expect(r.headers['x-model']).toBe('churn');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.body.toString()).toBe('POST /predict?explain=1 {"x":1}');
  });

  // Hop-by-hop headers describe one connection (RFC 9110 §7.6.1); forwarding them would let a client
  // steer the proxy's own connection to the runtime.
  it.each([
    ['Connection names a header', { connection: 'x-hop', 'x-hop': 'secret' }, 'x-hop'],
    ['Keep-Alive', { 'keep-alive': 'timeout=99' }, 'keep-alive'],
    ['Proxy-Connection', { 'proxy-connection': 'keep-alive' }, 'proxy-connection'],
    ['TE', { te: 'trailers' }, 'te'],
    ['Trailer', { trailer: 'x-sum' }, 'trailer'],
    ['Upgrade', { upgrade: 'websocket' }, 'upgrade'],
    ['Expect, which the proxy answers itself', { expect: '100-continue' }, 'expect'],
  ])('does not forward a request header: %s', async (_name, headers: Record<string, string>, dropped) => {
    const rt = await runtime('r1', echo);
    const { port } = await proxyTo(rt);
    const r = await send(port, { method: 'POST', headers: { ...headers, 'x-end-to-end': 'kept' }, body: Buffer.from('{}') });
    expect(r.status).toBe(200);
    const seen = json(r).headers;
    expect(seen[dropped]).toBeUndefined();
    expect(seen['x-end-to-end']).toBe('kept');
    expect(json(r).length).toBe(2);
  });

  it('does not forward hop-by-hop response headers', async () => {
    const rt = await runtime('r1', (_req, _body, res) => {
      res.writeHead(200, { connection: 'keep-alive, x-up-hop', 'x-up-hop': 'secret', 'keep-alive': 'timeout=1', 'x-model': 'm' });
      res.end('ok');
    });
    const { port } = await proxyTo(rt);
    const r = await send(port, {});
    expect(r.headers['x-up-hop']).toBeUndefined();
    expect(r.headers['x-model']).toBe('m');
    expect(r.body.toString()).toBe('ok');
  });

  it('streams a request body larger than it buffers, byte for byte', async () => {
    const rt = await runtime('r1', echo);
    const { port } = await proxyTo(rt);
    const body = randomBytes(5 * 1024 * 1024 + 17);
    const r = await send(port, { method: 'PUT', body });
    expect(json(r)).toMatchObject({ length: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });

  it('answers 503 at once with a JSON body naming the slot and the reason when nothing is healthy', async () => {
    const { proxy, port } = await proxyTo(null);
    proxy.setTarget(null, 'release r2 failed its health gate');
    const r = await send(port, { method: 'POST', body: Buffer.from('{}') });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body.toString())).toEqual({ error: 'unavailable', slot: 'main', reason: 'release r2 failed its health gate' });
    expect(await proxy.metrics.totals()).toEqual({ unavailable: 1 });
  });

  it('answers with the configured fallback instead, when there is one', async () => {
    const { port } = await proxyTo(null, { fallback: { status: 200, contentType: 'application/json', body: '{"label":0,"fallback":true}' } });
    const r = await send(port, {});
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ label: 0, fallback: true });
  });

  it('answers 502 naming the release when the runtime is gone and no other takes over', async () => {
    const rt = await runtime('r1', echo);
    await new Promise((r) => (rt.server.closeAllConnections(), rt.server.close(r)));
    const { proxy, port } = await proxyTo(rt);
    const r = await send(port, {});
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString())).toEqual({ error: 'upstream_failed', slot: 'main', release: 'r1' });
    expect(proxy.targetStats).toEqual({ requests: 1, errors: 1 });
  });

  it('sends a request again to the release the slot switches to when its runtime dies under it', async () => {
    let died!: () => void;
    const atDying = new Promise<void>((r) => (died = r));
    const dying = await runtime('r2', (_req, _body, res) => (res.socket?.destroy(), died()));
    const good = await runtime('r1', echo);
    const { proxy, port } = await proxyTo(dying);
    const reply = send(port, { method: 'POST', body: Buffer.from('{"resent":true}') });
    // The slot switches back once the runtime has died under the request, as the agent does on a crash.
    await atDying;
    proxy.setTarget(good);
    const r = await reply;
    expect(r.status).toBe(200);
    expect(json(r)).toMatchObject({ method: 'POST', length: 15 });
  });

  it('lets a request in flight on the old runtime finish after a switch', async () => {
    let arrived!: () => void;
    const atRuntime = new Promise<void>((r) => (arrived = r));
    const slow = await runtime('r1', (_req, _body, res) => (arrived(), setTimeout(() => res.end('from r1'), 300)));
    const next = await runtime('r2', (_req, _body, res) => res.end('from r2'));
    const { proxy, port } = await proxyTo(slow);
    const inFlight = send(port, {});
    await atRuntime;
    proxy.setTarget(next);
    const third = await runtime('r3', (_req, _body, res) => res.end('from r3'));
    proxy.setTarget(third);
    expect((await send(port, {})).body.toString()).toBe('from r3');
    expect((await inFlight).body.toString()).toBe('from r1');
  });

  it('cancels the runtime request when the client goes away', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const rt = await runtime('r1', (_req, _body, res) => {
      res.on('close', () => upstreamClosed());
      res.writeHead(200);
      res.write('partial');
    });
    const { port } = await proxyTo(rt);
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, agent: false }, (res) => res.once('data', () => (req.destroy(), resolve())));
      req.on('error', () => undefined);
      req.end();
    });
    await closed;
  }, 5_000);

  it('passes the final answer after informational ones (103 Early Hints)', async () => {
    const rt = await runtime('r1', (_req, _body, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('final');
    });
    const { port } = await proxyTo(rt);
    const r = await send(port, {});
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('final');
  });

  it('answers a 304 whose headers name a length but which has no body, as RFC 9110 allows', async () => {
    const rt = await runtime('r1', (_req, _body, res) => {
      res.writeHead(304, { 'content-length': '5', etag: '"v1"' });
      res.end();
    });
    const { port } = await proxyTo(rt);
    const r = await send(port, {});
    expect(r.status).toBe(304);
    expect(r.headers.etag).toBe('"v1"');
    expect((await send(port, {})).status, 'the connection stays usable').toBe(304);
  });

  it('records outcomes and in-flight requests', async () => {
    const rt = await runtime('r1', (req, _body, res) => {
      res.writeHead(req.url === '/bad' ? 500 : 200);
      res.end();
    });
    const { proxy, port, metrics } = await proxyTo(rt);
    await send(port, {});
    await send(port, { path: '/bad' });
    // A request is recorded when the proxy's response closes, a moment after the client has read it.
    while ((await proxy.metrics.count()) < 2) await new Promise((r) => setTimeout(r, 5));
    const text = await metrics();
    expect(text).toMatch(/^airlock_proxy_requests_total\{slot="main",version="r1",outcome="2xx"\} 1$/m);
    expect(text).toMatch(/^airlock_proxy_requests_total\{slot="main",version="r1",outcome="5xx"\} 1$/m);
    expect(text).toMatch(/^airlock_proxy_request_duration_seconds_count\{slot="main",version="r1"\} 2$/m);
    expect(text).toMatch(/^airlock_proxy_in_flight_requests\{slot="main"\} 0$/m);
    const [p50] = await proxy.metrics.percentilesMs([50]);
    expect(p50).toBeGreaterThan(0);
    expect(proxy.targetStats).toEqual({ requests: 2, errors: 1 });
  });
});
