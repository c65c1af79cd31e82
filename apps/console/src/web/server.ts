import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { ErrorData } from '@airlock/shared/common';
import type { RegistryClient } from '../backend/registry-client.js';
import { allowedHosts, allowedOrigins, CONTENT_TYPES, cookie, SECURITY_HEADERS, sameSecret } from './security.js';

const COOKIE = 'airlock';
const MAX_BODY = 1024 * 1024;

export interface WebConsole {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Browser {
  /** held by the page in sessionStorage and sent with every call: a cookie alone reaches any local port */
  secret: string;
  streams: Set<ServerResponse>;
  calls: Map<string, AbortController>;
}

const CALL_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * The console over loopback HTTP, for machines without a display server or without Electron: the
 * same renderer and the same API as the desktop app. It listens on 127.0.0.1 only. A random token,
 * printed once in the URL's fragment (which browsers never send), is exchanged once for an HttpOnly,
 * SameSite=Strict cookie and a per-page secret the page keeps in its own origin's sessionStorage
 * (cookies are not scoped to a port, so another local server the browser visits would see the
 * cookie, but never the secret). Every request must name the console by its loopback host (DNS
 * rebinding) and every POST come from its own origin (CSRF); nothing is offered cross-origin.
 */
export async function serveWebConsole(opts: { client: RegistryClient; assets: string; port?: number; log?: (entry: Record<string, unknown>) => void }): Promise<WebConsole> {
  let token: string | null = randomBytes(32).toString('base64url');
  const browsers = new Map<string, Browser>();
  let port = 0;

  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => send(res, status, JSON.stringify(body), 'application/json', extra);
  const refuse = (res: ServerResponse, status: number, error: ErrorData) => json(res, status, { ok: false, error });

  /** The request's JSON object (an empty body is `{}`); anything else is a 400 or 413 the caller can act on. */
  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw Object.assign(new Error('too large'), { status: 413 });
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw Object.assign(new Error('not JSON'), { status: 400 });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw Object.assign(new Error('not an object'), { status: 400 });
    return value as Record<string, unknown>;
  }

  async function asset(res: ServerResponse, path: string): Promise<void> {
    const file = normalize(join(opts.assets, path));
    if (!file.startsWith(opts.assets + sep)) return refuse(res, 404, { code: 'NOT_FOUND', message: 'There is no such page.' });
    const data = await readFile(file).catch(() => null);
    if (!data) return refuse(res, 404, { code: 'NOT_FOUND', message: 'There is no such page.' });
    send(res, 200, data, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
  }

  async function api(req: IncomingMessage, res: ServerResponse, browser: Browser, name: string): Promise<void> {
    if (name === 'events') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream' });
      res.write(': connected\n\n');
      browser.streams.add(res);
      req.on('close', () => browser.streams.delete(res));
      return;
    }
    const input = await body(req);
    if (name === 'cancel') {
      const running = typeof input.call === 'string' ? browser.calls.get(input.call) : undefined;
      running?.abort();
      return json(res, 200, { ok: true, result: { cancelled: running !== undefined } });
    }
    const session = req.headers['x-airlock-session'];
    const call = req.headers['x-airlock-call'];
    const callId = typeof call === 'string' && CALL_ID.test(call) ? call : undefined;
    if (callId && browser.calls.has(callId)) return refuse(res, 409, { code: 'CONFLICT', message: `A call with id ${callId} is still running; give each call its own id.` });
    const abort = new AbortController();
    // The page went away (reloaded, closed) before the answer: nobody is left to see the job finish.
    res.on('close', () => !res.writableFinished && abort.abort());
    if (callId) browser.calls.set(callId, abort);
    const progress = (p: unknown) => {
      for (const s of browser.streams) s.write(`data: ${JSON.stringify({ call: callId, progress: p })}\n\n`);
    };
    try {
      const answer = await opts.client.call(name, input, {
        ...(typeof session === 'string' ? { session } : {}),
        signal: abort.signal,
        ...(callId ? { onProgress: progress } : {}),
      });
      json(res, 200, answer);
    } finally {
      if (callId) browser.calls.delete(callId);
    }
  }

  /** The browser this request comes from: its cookie and its page's secret must both match. */
  function browserOf(req: IncomingMessage, url: URL): Browser | undefined {
    const id = cookie(req.headers.cookie, COOKIE);
    const browser = id === undefined ? undefined : browsers.get(id);
    const header = req.headers['x-airlock-browser'];
    const secret = typeof header === 'string' ? header : (url.searchParams.get('s') ?? '');
    return browser && sameSecret(secret, browser.secret) ? browser : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts(port).has(req.headers.host ?? '')) return refuse(res, 403, { code: 'FORBIDDEN', message: 'This console answers only to its own loopback address.' });
    if (req.method === 'POST' && !allowedOrigins(port).has(req.headers.origin ?? '')) return refuse(res, 403, { code: 'FORBIDDEN', message: 'Requests must come from the console page itself.' });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method === 'GET' && !url.pathname.startsWith('/api/')) return asset(res, url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (req.method === 'POST' && url.pathname === '/auth') {
      const given = await body(req);
      if (token === null || typeof given.token !== 'string' || !sameSecret(given.token, token)) {
        return refuse(res, 401, { code: 'UNAUTHENTICATED', message: 'This link was already used or is not this console’s: start the console again for a new one.' });
      }
      token = null;
      const id = randomBytes(32).toString('base64url');
      const secret = randomBytes(32).toString('base64url');
      browsers.set(id, { secret, streams: new Set(), calls: new Map() });
      return json(res, 200, { ok: true, result: { signedIn: true, secret } }, { 'set-cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (url.pathname.startsWith('/api/')) {
      const browser = browserOf(req, url);
      if (!browser) return refuse(res, 401, { code: 'UNAUTHENTICATED', message: 'This page is not signed in to the console: each link it prints works once, in one tab. Use the tab that opened it, or restart `airlock console --web` for a new link.' });
      const name = url.pathname.slice('/api/'.length);
      if (req.method === 'GET' ? name !== 'events' : req.method !== 'POST') return refuse(res, 405, { code: 'USAGE', message: 'API calls are POST requests.' });
      return api(req, res, browser, name);
    }
    refuse(res, 404, { code: 'NOT_FOUND', message: 'There is no such page.' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: { status?: number }) => {
      if (res.headersSent) return res.destroy();
      if (err.status === 413) return refuse(res, 413, { code: 'INVALID_INPUT', message: `A request body may be at most ${MAX_BODY} bytes.` });
      if (err.status === 400) return refuse(res, 400, { code: 'INVALID_INPUT', message: 'The request body must be a JSON object.' });
      opts.log?.({ level: 'error', error: String(err) });
      refuse(res, 500, { code: 'INTERNAL', message: 'The console could not answer that request.' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const b of browsers.values()) for (const s of b.streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
