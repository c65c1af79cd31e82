import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator } from '@playwright/test';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_NAMES } from '../../apps/console/src/api/contract.js';
import { airlock } from '../helpers/cli.js';
import { contractScenario } from '../helpers/contract-scenario.js';
import { PASSPHRASE } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { launchChromium, startWebConsole, webClient, type RunningConsole } from '../helpers/web-console.js';
import { useWorld, type World } from '../helpers/world.js';

const tempDir = useTempDirs();
const { fork } = useWorld();
const running: RunningConsole[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

/** A world whose registry only the console process has open. */
async function consoleOn(): Promise<{ w: World; c: RunningConsole }> {
  const w = await fork();
  w.reg.close();
  const c = await startWebConsole(w.reg.home.dir);
  running.push(c);
  return { w, c };
}

/** A raw HTTP request, so Host and Origin can be anything a hostile page or a rebinding DNS would send. */
function raw(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string; host?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: opts.host ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * A 256 MiB import by bob, answered once it ends; returned after its first progress event, so a fault
 * injected next lands mid-import.
 */
async function importUnderway(c: RunningConsole) {
  const web = await webClient(c);
  const bob = (await web.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE })).body.result as { session: string };
  const big = join(await tempDir(), 'big');
  await mkdir(big);
  await writeFile(join(big, 'weights.bin'), Buffer.alloc(256 * 1024 * 1024, 5));
  const events = await fetch(`${c.origin}/api/events?s=${web.secret}`, { headers: { cookie: web.cookie } });
  const reader = events.body!.getReader();
  const importing = web.call('models.import', { path: big, model: 'big', kind: 'classic' }, bob.session, { 'x-airlock-call': 'import-underway' });
  let seen = '';
  while (!seen.includes('"call":"import-underway"')) seen += new TextDecoder().decode((await reader.read()).value);
  return { importing };
}

describe('the loopback web console (the real `airlock console --web` process)', () => {
  it('answers every call of the contract over POST /api/<name>, within its schemas', async () => {
    const { c } = await consoleOn();
    const web = await webClient(c);
    const steps = await contractScenario(await tempDir());
    expect(new Set(steps.map((s) => s.call))).toEqual(new Set(CALL_NAMES.filter((n) => n !== 'session.unlock')));
    const sessions = new Map<string, string>();
    for (const step of steps) {
      if (!sessions.has(step.as)) {
        const u = await web.call('session.unlock', { user: step.as, passphrase: PASSPHRASE });
        expect(u.body.ok).toBe(true);
        sessions.set(step.as, (u.body.result as { session: string }).session);
      }
      const a = await web.call(step.call, step.input, sessions.get(step.as));
      expect([step.call, a.status, a.body.ok ? 'ok' : a.body.error!.code]).toEqual([step.call, 200, step.expect]);
    }
  }, 180_000);

  it('refuses the API without the cookie (401), a foreign Origin or Host (403), and the token once it was used', async () => {
    const { c } = await consoleOn();
    const json = { 'content-type': 'application/json' };
    const host = `127.0.0.1:${c.port}`;
    // Without the cookie.
    const noCookie = await raw(c.port, { method: 'POST', path: '/api/models.list', headers: { ...json, host, origin: c.origin }, body: '{}' });
    expect([noCookie.status, JSON.parse(noCookie.body).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    // A page elsewhere posting to the console (CSRF), with and without an Origin.
    for (const origin of ['http://attacker.example', `http://127.0.0.1:${c.port + 1}`, 'null']) {
      const r = await raw(c.port, { method: 'POST', path: '/auth', headers: { ...json, host, origin }, body: JSON.stringify({ token: c.token }) });
      expect([origin, r.status]).toEqual([origin, 403]);
    }
    expect((await raw(c.port, { method: 'POST', path: '/auth', headers: { ...json, host }, body: JSON.stringify({ token: c.token }) })).status).toBe(403);
    // DNS rebinding: the right address under another name, for pages and API alike.
    for (const path of ['/', '/api/events']) expect((await raw(c.port, { path, headers: { host: `attacker.example:${c.port}` } })).status).toBe(403);
    // A wrong token is refused and does not use up the real one; the real one works once.
    const wrong = await raw(c.port, { method: 'POST', path: '/auth', headers: { ...json, host, origin: c.origin }, body: JSON.stringify({ token: 'x'.repeat(43) }) });
    expect(wrong.status).toBe(401);
    const web = await webClient(c);
    expect(web.cookie).toMatch(/^airlock=[A-Za-z0-9_-]{43}$/);
    const again = await raw(c.port, { method: 'POST', path: '/auth', headers: { ...json, host, origin: c.origin }, body: JSON.stringify({ token: c.token }) });
    expect([again.status, JSON.parse(again.body).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    // The cookie alone is not enough (cookies are not scoped to a port: another local server sees it); with the page's secret, a call goes through.
    const cookieOnly = await raw(c.port, { method: 'POST', path: '/api/models.list', headers: { ...json, host, origin: c.origin, cookie: web.cookie }, body: '{}' });
    expect([cookieOnly.status, JSON.parse(cookieOnly.body).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    const wrongSecret = await raw(c.port, { method: 'POST', path: '/api/models.list', headers: { ...json, host, origin: c.origin, cookie: web.cookie, 'x-airlock-browser': 'x'.repeat(43) }, body: '{}' });
    expect(wrongSecret.status).toBe(401);
    const ok = await raw(c.port, { method: 'POST', path: '/api/session.unlock', headers: { ...json, host, origin: c.origin, cookie: web.cookie, 'x-airlock-browser': web.secret }, body: JSON.stringify({ user: 'aud', passphrase: PASSPHRASE }) });
    expect([ok.status, JSON.parse(ok.body).ok]).toEqual([200, true]);
    // No cross-origin sharing is ever offered.
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
  }, 60_000);

  it('sets the HttpOnly SameSite=Strict cookie and a strict CSP on every page and asset it serves', async () => {
    const { c } = await consoleOn();
    const auth = await raw(c.port, { method: 'POST', path: '/auth', headers: { 'content-type': 'application/json', host: `127.0.0.1:${c.port}`, origin: c.origin }, body: JSON.stringify({ token: c.token }) });
    expect(String(auth.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Path=\//);
    const page = await raw(c.port, { headers: { host: `localhost:${c.port}` } });
    expect(page.status).toBe(200);
    const assets = [...page.body.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const path of ['/', '/index.html', ...assets.map((a) => `/${a}`), '/nothing-here']) {
      const r = await raw(c.port, { path, headers: { host: `127.0.0.1:${c.port}` } });
      expect([path, r.headers['content-security-policy']]).toEqual([path, expect.stringContaining("default-src 'self'; script-src 'self'")]);
      expect([path, r.headers['x-frame-options'], r.headers['x-content-type-options']]).toEqual([path, 'DENY', 'nosniff']);
    }
    // The page itself carries no inline script or style the CSP would have to allow.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|style="/);
    expect((await raw(c.port, { path: '/assets/../../../package.json', headers: { host: `127.0.0.1:${c.port}` } })).status).toBe(404);
  }, 60_000);

  it('listens on the loopback address only', async () => {
    const { c } = await consoleOn();
    // The kernel's own table of listening sockets: the console's is bound to 127.0.0.1, not to every address.
    const table = await readFile('/proc/net/tcp', 'utf8');
    const port = c.port.toString(16).toUpperCase().padStart(4, '0');
    const listening = table.split('\n').filter((l) => / 0A /.test(l) && l.includes(`:${port} `)).map((l) => l.trim().split(/\s+/)[1]);
    expect(listening).toEqual([`0100007F:${port}`]);
    // And any other address of this machine is refused.
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4');
    for (const a of others) await expect(raw(c.port, { host: a!.address, path: '/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('answers every malformed request with a code: bodies that are not objects, ids in use, overlong sessions, unknown cancels', async () => {
    const { c } = await consoleOn();
    const web = await webClient(c);
    const headers = { 'content-type': 'application/json', host: `127.0.0.1:${c.port}`, origin: c.origin, cookie: web.cookie, 'x-airlock-browser': web.secret };
    for (const [path, body] of [['/api/cancel', 'null'], ['/api/models.list', '[1]'], ['/api/models.list', '"text"'], ['/api/models.list', '{']] as const) {
      const r = await raw(c.port, { method: 'POST', path, headers, body });
      expect([path, body, r.status, JSON.parse(r.body).error.code]).toEqual([path, body, 400, 'INVALID_INPUT']);
    }
    const noToken = await raw(c.port, { method: 'POST', path: '/auth', headers, body: 'null' });
    expect(noToken.status).toBe(400);
    // A session id too long for the registry process is answered, not dropped.
    const long = await web.call('models.list', {}, 'a'.repeat(300));
    expect([long.status, long.body.error?.code]).toEqual([200, 'INVALID_INPUT']);
    // A second call under the id of one still running is refused; a cancel that matches nothing says so.
    const bob = (await web.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE })).body.result as { session: string };
    const big = join(await tempDir(), 'big');
    await mkdir(big);
    await writeFile(join(big, 'weights.bin'), Buffer.alloc(96 * 1024 * 1024, 1));
    const id = { 'x-airlock-call': 'import-0001' };
    const importing = web.call('models.import', { path: big, model: 'big', kind: 'classic' }, bob.session, id);
    await expect.poll(async () => (await web.call('models.list', {}, bob.session, id)).status).toBe(409);
    expect((await web.call('cancel', { call: 'nothing-running' })).body.result).toEqual({ cancelled: false });
    expect((await importing).body.ok).toBe(true);
    expect((await web.call('cancel', { call: 'import-0001' })).body.result).toEqual({ cancelled: false });
  }, 60_000);

  it('where there is no registry, answers every call but registry.init with REGISTRY_NOT_FOUND, and creates it once', async () => {
    const home = join(await tempDir(), 'fresh');
    const c = await startWebConsole(home);
    running.push(c);
    const web = await webClient(c);
    expect((await web.call('session.unlock', { user: 'alice', passphrase: 'x' })).body.error?.code).toBe('REGISTRY_NOT_FOUND');
    expect((await web.call('registry.init', { admin: 'alice' })).body.error?.code).toBe('INVALID_INPUT');
    const made = await web.call('registry.init', { admin: 'alice', passphrase: 'first run passphrase' });
    expect(made.body).toMatchObject({ ok: true, result: { admin: { name: 'alice' }, root: { version: 1 } } });
    expect((await web.call('registry.init', { admin: 'mallory', passphrase: 'another one' })).body.error?.code).toBe('ALREADY_EXISTS');
    expect((await web.call('session.unlock', { user: 'alice', passphrase: 'first run passphrase' })).body.ok).toBe(true);
  });

  it('checks paths only for a session, after the input parses', async () => {
    const { c } = await consoleOn();
    const web = await webClient(c);
    // Without a session, a missing file and an existing one look the same: no probing the disk.
    for (const path of ['/no/such/folder', '/etc/hostname']) expect((await web.call('models.import', { path, model: 'x' })).body.error?.code).toBe('SESSION_LOCKED');
  });

  it('stops in order on Ctrl-C, which reaches the registry process too', async () => {
    const { w, c } = await consoleOn();
    const { importing } = await importUnderway(c);
    // Ctrl-C signals the terminal's whole process group: the console and its registry process alike.
    process.kill(-c.pid, 'SIGINT');
    expect((await importing).body.error?.code).toBe('CANCELLED');
    expect(await c.exited).toBe(0);
    expect(await readdir(join(w.reg.home.dir, 'tmp'))).toEqual([]);
    running.splice(running.indexOf(c), 1);
    expect(c.output().stdout).toContain('console stopped; every session was locked');
  });

  it('refuses a port already taken with a usage error and exits, instead of hanging', async () => {
    const { w, c } = await consoleOn();
    const second = await airlock(['console', '--web', '--home', w.reg.home.dir, '--port', String(c.port)]);
    expect([second.code, second.stderr]).toEqual([2, expect.stringContaining(`USAGE: Port ${c.port} on 127.0.0.1 is taken`)]);
  });

  it('on SIGTERM during an import cancels it, answers the caller and leaves nothing in the registry', async () => {
    const { w, c } = await consoleOn();
    const { importing } = await importUnderway(c);
    const stopped = c.stop();
    expect((await importing).body.error?.code).toBe('CANCELLED');
    expect(await stopped).toBe(0);
    running.splice(running.indexOf(c), 1);
    expect(await readdir(join(w.reg.home.dir, 'tmp'))).toEqual([]);
    const verify = await airlock(['--home', w.reg.home.dir, '--user', 'aud', 'verify']);
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringContaining('intact')]);
  }, 60_000);

  it('checks typed paths: absolute, outside the registry folder, and readable when the call reads them', async () => {
    const { w, c } = await consoleOn();
    const web = await webClient(c);
    const bob = (await web.call('session.unlock', { user: 'bob', passphrase: PASSPHRASE })).body.result as { session: string };
    const tries: [string, unknown, string][] = [
      ['models.import', { path: join(w.reg.home.dir, 'blobs'), model: 'leak' }, 'INVALID_INPUT'],
      ['models.import', { path: 'relative/model', model: 'leak' }, 'INVALID_INPUT'],
      ['models.import', { path: join(await tempDir(), 'missing'), model: 'leak' }, 'NOT_FOUND'],
      ['audit.verify', { anchors: [join(w.reg.home.dir, 'registry.sqlite')] }, 'INVALID_INPUT'],
    ];
    for (const [name, input, code] of tries) {
      const a = await web.call(name, input, bob.session);
      expect([name, a.body.ok ? 'ok' : a.body.error!.code]).toEqual([name, code]);
    }
    const olga = (await web.call('session.unlock', { user: 'olga', passphrase: PASSPHRASE })).body.result as { session: string };
    for (const out of [join(w.reg.home.dir, 'roots', 'x.json'), join(w.reg.home.dir, '..x', 'root.json')]) {
      const into = await web.call('roots.export', { out }, olga.session);
      expect([out, into.body.error?.code]).toEqual([out, 'INVALID_INPUT']);
    }
    const outside = await web.call('roots.export', { out: join(await tempDir(), 'root.json') }, olga.session);
    expect(outside.body.ok).toBe(true);
  }, 60_000);

  it('refuses a locked session with SESSION_LOCKED, and no answer or log line carries a passphrase or key', async () => {
    const { w, c } = await consoleOn();
    const web = await webClient(c);
    const answers: string[] = [];
    const call = async (name: string, input: unknown, session?: string) => {
      const a = await web.call(name, input, session);
      answers.push(JSON.stringify(a.body));
      return a.body;
    };
    const wrong = await call('session.unlock', { user: 'carol', passphrase: 'not-carol-s-passphrase' });
    expect(wrong.error?.code).toBe('KEY_PASSPHRASE_WRONG');
    const s = (await call('session.unlock', { user: 'carol', passphrase: PASSPHRASE })).result as { session: string };
    expect((await call('models.list', {}, s.session)).ok).toBe(true);
    await call('users.add', { name: 'erin', roles: ['auditor'], passphrase: 'erin-s-own-passphrase' }, s.session);
    expect((await call('session.lock', {}, s.session)).ok).toBe(true);
    expect((await call('models.list', {}, s.session)).error?.code).toBe('SESSION_LOCKED');
    expect((await call('models.list', {})).error?.code).toBe('SESSION_LOCKED');
    expect(await c.stop()).toBe(0);
    const { stdout, stderr } = c.output();
    expect(stderr).toMatch(/"call":"session.lock","ok":true/);
    const keyFiles = (await readFile(join(w.reg.home.dir, 'keys', 'carol.key.json'), 'utf8').catch(() => '')) || '';
    const secrets = [PASSPHRASE, 'not-carol-s-passphrase', 'erin-s-own-passphrase', ...(keyFiles.match(/"[A-Za-z0-9+/_-]{40,}={0,2}"/g) ?? [])];
    for (const text of [...answers, stdout, stderr]) for (const secret of secrets) expect(text).not.toContain(secret);
  }, 60_000);
});

describe('the page in Chromium', () => {
  it('signs in with the printed link, unlocks two people side by side and lists models through the API', async () => {
    const { c } = await consoleOn();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(c.url);
      await page.getByLabel('User').fill('bob');
      await page.getByLabel('Passphrase').fill('a wrong passphrase');
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await expectText(page.getByRole('alert'), 'KEY_PASSPHRASE_WRONG');
      await page.getByLabel('Passphrase').fill(PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await expectText(page.getByRole('heading', { name: /Models/ }), 'Models (1 versions)');
      await expectText(page.getByRole('cell').first(), 'churn');
      // The token left the address bar once it was traded.
      expect(page.url()).toBe(`${c.origin}/#/models`);
      // A second person beside the first: the page says whose session acts.
      await page.getByRole('button', { name: 'Unlock another person' }).click();
      await page.getByLabel('User').fill('carol');
      await page.getByLabel('Passphrase').fill(PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await expectText(page.locator('.acting'), 'Acting as carol');
      await page.getByRole('button', { name: /^bob/ }).click();
      await expectText(page.locator('.acting'), 'Acting as bob');
      // The cookie is invisible to scripts, and a reload keeps the browser signed in (but no session: they live in memory).
      expect(await page.evaluate('document.cookie')).toBe('');
      await page.reload();
      await expectText(page.getByRole('heading', { name: 'Unlock' }), 'Unlock');
      // A second browser with the used link gets the refusal, said on the page.
      const other = await (await browser.newContext()).newPage();
      await other.goto(c.url);
      await expectText(other.getByRole('alert'), 'UNAUTHENTICATED');
      // No CSP violation, missing file or script error on the way.
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});

async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.waitFor({ timeout: 15_000 });
  await expect.poll(() => locator.textContent(), { timeout: 15_000 }).toContain(text);
}

describe('--open', () => {
  it('gives the browser a private page that forwards to the link: the token is on no command line', async () => {
    const w = await fork();
    w.reg.close();
    const bin = await tempDir();
    const record = join(bin, 'args.txt');
    // A stand-in for the system's opener that records how it was called.
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`, { mode: 0o755 });
    const c = await startWebConsole(w.reg.home.dir, ['--open'], { PATH: `${bin}:${process.env.PATH}` });
    running.push(c);
    await expect.poll(() => readFile(record, 'utf8').catch(() => ''), { timeout: 10_000 }).toMatch(/^file:\/\//);
    const args = await readFile(record, 'utf8');
    expect(args).not.toContain(c.token);
    const page = fileURLToPath(args.trim());
    expect(await readFile(page, 'utf8')).toContain(`url=${c.url}`);
    expect([(await stat(page)).mode & 0o777, (await stat(dirname(page))).mode & 0o777]).toEqual([0o600, 0o700]);
    expect(await c.stop()).toBe(0);
    running.splice(running.indexOf(c), 1);
    await expect(stat(dirname(page))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
