import type { BrowserWindow } from 'electron';
import { toErrorData } from '@airlock/shared/common';
import { RegistryClient } from '../backend/registry-client.js';
import { registerAppScheme, serveApp } from './app-protocol.js';
import type { ElectronApi } from './electron-api.js';
import { registerIpc } from './ipc.js';
import { menuTemplate } from './menu.js';
import { guardContents, openWindow } from './window.js';
import { loadWindowState } from './window-state.js';

export interface MainOptions {
  /** the built renderer (index.html and assets) */
  rendererDir: string;
  /** the sandboxed preload, bundled as CommonJS */
  preload: string;
  /** the registry process's entry */
  registryEntry: string;
  /** the registry folder (AIRLOCK_HOME or ~/.airlock) */
  home: string;
  idleMinutes: number;
  dev: boolean;
}

export interface MainHandle {
  /** resolves once the window is open (false: this is a second instance, or the registry could not open) */
  ready: Promise<boolean>;
}

/**
 * Everything main does, against the Electron API it is given: one instance; `app://` for the UI with
 * its CSP; no permission granted, no remote content, no navigation or new windows; the registry in
 * a utility process behind the IPC router; a native menu; the window where it was left; and a
 * bounded, idempotent shutdown that locks every session.
 */
export function setupMain(e: ElectronApi, opts: MainOptions): MainHandle {
  const { app } = e;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { ready: Promise.resolve(false) };
  }
  registerAppScheme(e.protocol);
  app.on('web-contents-created', (_event, contents) => guardContents(contents));

  let win: BrowserWindow | undefined;
  let client: RegistryClient | undefined;
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= Promise.race([client?.close() ?? Promise.resolve(), new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())]));
  app.on('before-quit', (event) => {
    if (!client || stopping) return;
    event.preventDefault();
    void stop().then(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());

  const ready = app.whenReady().then(async () => {
    const ses = e.session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    // No remote content: the app's pages load only from app://, and nothing they do reaches a network.
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) => callback({ cancel: true }));
    serveApp(e.protocol, opts.rendererDir);
    e.Menu.setApplicationMenu(e.Menu.buildFromTemplate(menuTemplate(process.platform, opts.dev)));

    const child = e.utilityProcess.fork(opts.registryEntry, [`--home=${opts.home}`, `--idle-minutes=${opts.idleMinutes}`], { serviceName: 'Airlock registry', stdio: 'inherit' });
    try {
      client = await RegistryClient.start({ post: (m) => child.postMessage(m), onMessage: (h) => child.on('message', h) });
    } catch (err) {
      const { code, message } = toErrorData(err);
      e.dialog.showErrorBox('Airlock cannot open its registry', `${code}: ${message}\n\nRegistry folder: ${opts.home}`);
      app.quit();
      return false;
    }
    const running = client;
    child.on('exit', (code) => running.fail({ code: 'INTERNAL', message: `The registry process stopped (exit ${code}); restart Airlock.` }));
    registerIpc(e, running);
    win = openWindow(e, { preload: opts.preload, state: loadWindowState(app.getPath('userData')), userData: app.getPath('userData') });
    return true;
  });
  return { ready };
}
