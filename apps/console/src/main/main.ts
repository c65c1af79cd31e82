import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import { resolveHome } from '../registry/home.js';
import { setupMain } from './setup.js';

/** The desktop app's entry: the real Electron API into `setupMain`, with the built files beside this one. */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const idle = Number(process.env.AIRLOCK_IDLE_MINUTES ?? 15);
setupMain(
  { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, utilityProcess },
  {
    rendererDir: here('../renderer'),
    preload: here('../preload/preload.cjs'),
    registryEntry: here('./registry-utility.js'),
    home: resolveHome(undefined).dir,
    idleMinutes: Number.isInteger(idle) && idle >= 1 ? idle : 15,
    dev: !app.isPackaged,
  },
);
