import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { contractScenario } from '../../../../test/helpers/contract-scenario.js';
import { cancellable, fakeElectron, type FakeElectron } from '../../../../test/helpers/fake-electron.js';
import { PASSPHRASE } from '../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../test/helpers/tmp.js';
import { useWorld } from '../../../../test/helpers/world.js';
import { CALL_NAMES } from '../api/contract.js';
import { pathsIn } from '../api/paths.js';
import { setupMain, type MainOptions } from './setup.js';

const tempDir = useTempDirs();
const { fork } = useWorld();
const RENDERER = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
const fakes: FakeElectron[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) {
    f.appEvents.emit('before-quit', cancellable());
    await f.dispose();
  }
});

/** Main's whole setup against the recording fake, on a copy of the test world's registry. */
async function started(opts: { singleInstance?: boolean; userData?: string } = {}) {
  const w = await fork();
  w.reg.close();
  const userData = opts.userData ?? (await tempDir());
  const f = fakeElectron({ userData, ...(opts.singleInstance === undefined ? {} : { singleInstance: opts.singleInstance }) });
  fakes.push(f);
  const options: MainOptions = { rendererDir: RENDERER, preload: '/app/preload/preload.cjs', registryEntry: '/app/main/registry-utility.js', home: w.reg.home.dir, idleMinutes: 15, dev: false };
  const ready = await setupMain(f.electron, options).ready;
  return { f, w, ready, userData };
}

const APP_PAGE = { url: 'app://console/index.html', parent: null };

/** An IPC message as main receives it, from a frame of the first window. */
function invoke(f: FakeElectron, channel: string, frame: { url: string; parent: unknown } | null, ...args: unknown[]) {
  const handler = f.ipc.handlers.get(channel) as (event: unknown, ...a: unknown[]) => Promise<unknown>;
  return handler({ senderFrame: frame, sender: f.windows[0]!.webContents }, ...args) as Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>;
}

async function unlock(f: FakeElectron, user: string): Promise<string> {
  const a = await invoke(f, 'airlock:call', APP_PAGE, 'session.unlock', { user, passphrase: PASSPHRASE }, {});
  expect(a.ok).toBe(true);
  return (a.result as { session: string }).session;
}

describe("Electron main's setup (against a recording fake of electron)", () => {
  it('opens one window with the hardened web preferences, loading the app scheme registered before ready', async () => {
    const { f, ready } = await started();
    expect(ready).toBe(true);
    expect(f.windows).toHaveLength(1);
    const win = f.windows[0]!;
    expect(win.options.webPreferences).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      preload: '/app/preload/preload.cjs',
    });
    expect(win.url).toBe('app://console/index.html');
    expect(win.options.show).toBe(false);
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);
    expect(f.protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(f.order.indexOf('registerSchemesAsPrivileged')).toBeLessThan(f.order.indexOf('whenReady'));
    expect(f.utility.forked).toEqual([{ path: '/app/main/registry-utility.js', args: [expect.stringMatching(/^--home=\//), '--idle-minutes=15'], options: expect.objectContaining({ serviceName: 'Airlock registry' }) }]);
  });

  it('holds every web contents to the app: navigation elsewhere, new windows and webviews are refused', async () => {
    const { f } = await started();
    const wc = f.windows[0]!.webContents;
    for (const [url, allowed] of [
      ['app://console/index.html#/models', true],
      ['https://example.com/', false],
      ['file:///etc/passwd', false],
      ['app://console.evil/', false],
      ['app://other/index.html', false],
      ['http://127.0.0.1:8080/', false],
    ] as const) {
      for (const event of ['will-navigate', 'will-redirect']) {
        const e = cancellable();
        wc.emit(event, e, url);
        expect([event, url, e.prevented]).toEqual([event, url, !allowed]);
      }
    }
    expect(wc.windowOpenHandler?.({ url: 'app://console/index.html' })).toEqual({ action: 'deny' });
    const webview = cancellable();
    wc.emit('will-attach-webview', webview, {}, {});
    expect(webview.prevented).toBe(true);
  });

  it('denies every permission and cancels every request to a network', async () => {
    const { f } = await started();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      f.perms.request!({}, permission, (ok) => (granted = ok));
      expect([permission, granted]).toEqual([permission, false]);
      expect(f.perms.check!({}, permission, 'app://console', {})).toBe(false);
    }
    expect(f.perms.beforeRequest!.filter.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']));
    let answer: { cancel?: boolean } | undefined;
    f.perms.beforeRequest!.listener({ url: 'https://example.com/' }, (r) => (answer = r));
    expect(answer).toEqual({ cancel: true });
  });

  it('serves the renderer on app://console with the CSP, and nothing outside it', async () => {
    const { f } = await started();
    const serve = f.protocol.handlers.get('app')!;
    const page = await serve(new Request('app://console/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'/);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await serve(new Request(`app://console/${script}`));
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    for (const url of ['app://console/%2e%2e/%2e%2e/package.json', 'app://console/..%2f..%2fpackage.json', 'app://console/%E0%A4%A', 'app://other/index.html', 'app://console/missing.js']) {
      expect([url, (await serve(new Request(url))).status]).toEqual([url, 404]);
    }
  });

  it('is one instance: a second start quits without a window or a registry', async () => {
    const { f, ready } = await started({ singleInstance: false });
    expect([ready, f.quits(), f.windows.length, f.utility.forked.length]).toEqual([false, 1, 0, 0]);
  });

  it('puts the window where it was left, and remembers where that is', async () => {
    const userData = await tempDir();
    await writeFile(join(userData, 'window-state.json'), JSON.stringify({ x: 10, y: 20, width: 900, height: 700, maximized: true }));
    const { f } = await started({ userData });
    const win = f.windows[0]!;
    expect([win.options.x, win.options.y, win.options.width, win.options.height, win.maximized]).toEqual([10, 20, 900, 700, true]);
    win.maximized = false;
    win.emit('close');
    expect(JSON.parse(await readFile(join(userData, 'window-state.json'), 'utf8'))).toEqual({ x: 40, y: 30, width: 1111, height: 777, maximized: false });
  });

  it('sets a native menu with the usual roles', async () => {
    const { f } = await started();
    const roles = JSON.stringify(f.menus).match(/"role":"\w+"/g)!.map((r) => r.slice(8, -1));
    expect(roles).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'reload', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen', 'windowMenu']));
    expect(roles).not.toContain('toggleDevTools');
  });

  it('refuses IPC from a foreign or nested frame, and input failing its schema never reaches the registry', async () => {
    const { f } = await started();
    const session = await unlock(f, 'aud');
    const posted = () => f.utility.posted.filter((m) => (m as { type: string }).type === 'call').length;
    const before = posted();
    for (const frame of [{ url: 'https://evil.example/', parent: null }, { url: 'app://console.evil/index.html', parent: null }, { url: 'app://console/index.html', parent: {} }, null]) {
      const a = await invoke(f, 'airlock:call', frame, 'models.list', {}, { session });
      expect([frame?.url, a.error?.code]).toEqual([frame?.url, 'FORBIDDEN']);
    }
    const bad = await invoke(f, 'airlock:call', APP_PAGE, 'models.show', { ref: 42 }, { session });
    expect(bad.error?.code).toBe('INVALID_INPUT');
    expect((await invoke(f, 'airlock:call', APP_PAGE, 'models.teleport', {}, { session })).error?.code).toBe('USAGE');
    expect((await invoke(f, 'airlock:call', APP_PAGE, 'models.list', {}, { session: 7 })).error?.code).toBe('INVALID_INPUT');
    expect(posted()).toBe(before);
    // A second call under the id of one still running is refused.
    const first = invoke(f, 'airlock:call', APP_PAGE, 'registry.verify', {}, { session, callId: 'verify-0001' });
    const second = await invoke(f, 'airlock:call', APP_PAGE, 'models.list', {}, { session, callId: 'verify-0001' });
    expect(second.error?.code).toBe('CONFLICT');
    expect((await first).ok).toBe(true);
    // The same call from the app's own page goes through.
    const ok = await invoke(f, 'airlock:call', APP_PAGE, 'models.list', {}, { session });
    expect(ok).toMatchObject({ ok: true, result: [expect.objectContaining({ name: 'churn' })] });
    expect(posted()).toBe(before + 2);
  });

  it('lets a call use only paths chosen in its window’s native dialogs, with the dialog’s role', async () => {
    const { f } = await started();
    const olga = await unlock(f, 'olga');
    const out = join(await tempDir(), 'root.json');
    const typed = await invoke(f, 'airlock:call', APP_PAGE, 'roots.export', { out }, { session: olga });
    expect(typed.error?.code).toBe('FORBIDDEN');
    // Chosen as something to read, it is still not a place to write.
    f.dialogs.next.push(out);
    expect(await invoke(f, 'airlock:choose-path', APP_PAGE, 'source-file')).toBe(out);
    expect((await invoke(f, 'airlock:call', APP_PAGE, 'roots.export', { out }, { session: olga })).error?.code).toBe('FORBIDDEN');
    f.dialogs.next.push(out);
    expect(await invoke(f, 'airlock:choose-path', APP_PAGE, 'target-file')).toBe(out);
    expect(f.dialogs.shown.map((d) => d.kind)).toEqual(['open', 'save']);
    expect(await invoke(f, 'airlock:call', APP_PAGE, 'roots.export', { out }, { session: olga })).toMatchObject({ ok: true });
    // A foreign frame can open no dialog.
    f.dialogs.next.push('/etc');
    expect(await invoke(f, 'airlock:choose-path', { url: 'https://evil.example/', parent: null }, 'source-folder')).toBeNull();
  });

  it('reaches every call of the contract over IPC, each path chosen in a dialog first', async () => {
    const { f } = await started();
    const steps = await contractScenario(await tempDir());
    expect(new Set(steps.map((s) => s.call))).toEqual(new Set(CALL_NAMES.filter((n) => n !== 'session.unlock')));
    const sessions = new Map<string, string>();
    for (const step of steps) {
      if (!sessions.has(step.as)) sessions.set(step.as, await unlock(f, step.as));
      for (const { role, path } of pathsIn(step.call, step.input)) {
        f.dialogs.next.push(path);
        await invoke(f, 'airlock:choose-path', APP_PAGE, role === 'source' ? 'source-folder' : 'target-folder');
      }
      const a = await invoke(f, 'airlock:call', APP_PAGE, step.call, step.input, { session: sessions.get(step.as), callId: 'call-0001' });
      expect([step.call, a.ok ? 'ok' : a.error!.code]).toEqual([step.call, step.expect]);
    }
    // Jobs streamed their progress to the window that asked.
    expect(f.windows[0]!.webContents.sent.some((s) => s.channel === 'airlock:progress')).toBe(true);
  }, 180_000);

  it('opens its window where there is no registry yet, and creates one through the first-run call', async () => {
    const f = fakeElectron({ userData: await tempDir() });
    fakes.push(f);
    const home = join(await tempDir(), 'fresh');
    const ready = await setupMain(f.electron, { rendererDir: RENDERER, preload: '/app/preload/preload.cjs', registryEntry: '/app/main/registry-utility.js', home, idleMinutes: 15, dev: false }).ready;
    expect([ready, f.windows.length, f.dialogs.errors]).toEqual([true, 1, []]);
    expect((await invoke(f, 'airlock:call', APP_PAGE, 'models.list', {}, {})).error?.code).toBe('REGISTRY_NOT_FOUND');
    expect(await invoke(f, 'airlock:call', APP_PAGE, 'registry.init', { admin: 'alice', passphrase: 'first run passphrase' }, {})).toMatchObject({ ok: true, result: { admin: { name: 'alice' } } });
    expect(await invoke(f, 'airlock:call', APP_PAGE, 'session.unlock', { user: 'alice', passphrase: 'first run passphrase' }, {})).toMatchObject({ ok: true });
  });

  it('shuts down once: before-quit locks every session and closes the registry, then quits', async () => {
    const { f } = await started();
    await unlock(f, 'aud');
    const first = cancellable();
    f.appEvents.emit('before-quit', first);
    expect(first.prevented).toBe(true);
    await expect.poll(() => f.quits()).toBe(1);
    const again = cancellable();
    f.appEvents.emit('before-quit', again);
    expect(again.prevented).toBe(false);
    expect(f.utility.posted.filter((m) => (m as { type: string }).type === 'shutdown')).toHaveLength(1);
  });
});
