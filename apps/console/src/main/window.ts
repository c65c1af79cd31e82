import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';
import { APP_ENTRY, isAppUrl } from './app-origin.js';
import type { ElectronApi } from './electron-api.js';
import { saveWindowState, type WindowState } from './window-state.js';

/** The console window's web preferences: the renderer is a web page with one bridge, nothing more. */
export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const satisfies BrowserWindowConstructorOptions['webPreferences'];

/**
 * Every web contents the app ever creates is held to its own pages: navigation elsewhere, new
 * windows and webviews are refused.
 */
export function guardContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The console window, where it was last time, shown once its first paint is ready. */
export function openWindow(e: Pick<ElectronApi, 'BrowserWindow'>, opts: { preload: string; state: WindowState; userData: string }): BrowserWindow {
  const { x, y, width, height, maximized } = opts.state;
  const win = new e.BrowserWindow({
    ...(x !== undefined && y !== undefined ? { x, y } : {}),
    width,
    height,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Airlock',
    backgroundColor: '#f6f7f9',
    webPreferences: { ...WEB_PREFERENCES, preload: opts.preload },
  });
  if (maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => saveWindowState(opts.userData, { ...win.getNormalBounds(), maximized: win.isMaximized() }));
  void win.loadURL(APP_ENTRY);
  return win;
}
