import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import type { ElectronApi } from '../../apps/console/src/main/electron-api.js';

/** The registry process the fake utility process runs: the same serveRegistry, as the web console's child process. */
const REGISTRY_CHILD = fileURLToPath(new URL('../../apps/console/dist/backend/registry-child.js', import.meta.url));

type Handler = (...args: never[]) => unknown;

export class FakeWebContents extends EventEmitter {
  static next = 1;
  readonly id = FakeWebContents.next++;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  readonly sent: { channel: string; payload: unknown }[] = [];
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  isDestroyed() {
    return false;
  }
}

/** An event main may cancel, recording whether it did. */
export const cancellable = () => {
  const e = { prevented: false, preventDefault: () => (e.prevented = true) };
  return e;
};

/**
 * A recording fake of the parts of `electron` main uses: it keeps what main registered (handlers,
 * options, menus, schemes) for tests to inspect and call, and runs the registry "utility process" as
 * a child process over the real registry.
 */
export function fakeElectron(opts: { userData: string; singleInstance?: boolean }) {
  const order: string[] = [];
  const appEvents = new EventEmitter();
  const windows: FakeBrowserWindow[] = [];
  let quits = 0;

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents();
    url: string | undefined;
    shown = false;
    maximized = false;
    constructor(readonly options: Record<string, unknown> & { webPreferences: Record<string, unknown> }) {
      super();
      order.push('BrowserWindow');
      windows.push(this);
      appEvents.emit('web-contents-created', {}, this.webContents);
    }
    static fromWebContents(wc: FakeWebContents) {
      return windows.find((w) => w.webContents === wc) ?? null;
    }
    loadURL(url: string) {
      this.url = url;
      return Promise.resolve();
    }
    show() {
      this.shown = true;
    }
    maximize() {
      this.maximized = true;
    }
    isMaximized() {
      return this.maximized;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    getNormalBounds() {
      return { x: 40, y: 30, width: 1111, height: 777 };
    }
  }

  const ipc = { handlers: new Map<string, Handler>(), listeners: new Map<string, Handler>() };
  const protocol = { privileged: [] as unknown[], handlers: new Map<string, (req: Request) => Promise<Response>>() };
  const perms = {
    request: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
    check: undefined as undefined | ((...a: unknown[]) => boolean),
    beforeRequest: undefined as undefined | { filter: { urls: string[] }; listener: (d: unknown, cb: (r: { cancel?: boolean }) => void) => void },
  };
  const dialogs = { next: [] as (string | undefined)[], shown: [] as { kind: 'open' | 'save'; options: unknown }[], errors: [] as string[] };
  const menus: unknown[] = [];
  const utility = { forked: [] as { path: string; args: string[]; options: unknown }[], posted: [] as unknown[], children: [] as ChildProcess[] };

  const electron = {
    app: {
      requestSingleInstanceLock: () => opts.singleInstance ?? true,
      quit: () => void quits++,
      on: (event: string, h: (...a: unknown[]) => void) => appEvents.on(event, h),
      whenReady: () => {
        order.push('whenReady');
        return Promise.resolve();
      },
      getPath: () => opts.userData,
      isPackaged: false,
    },
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle: (channel: string, h: Handler) => ipc.handlers.set(channel, h),
      on: (channel: string, h: Handler) => ipc.listeners.set(channel, h),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        order.push('registerSchemesAsPrivileged');
        protocol.privileged.push(...schemes);
      },
      handle: (scheme: string, h: (req: Request) => Promise<Response>) => protocol.handlers.set(scheme, h),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof perms.request) => (perms.request = h),
        setPermissionCheckHandler: (h: typeof perms.check) => (perms.check = h),
        webRequest: { onBeforeRequest: (filter: { urls: string[] }, listener: NonNullable<typeof perms.beforeRequest>['listener']) => (perms.beforeRequest = { filter, listener }) },
      },
    },
    dialog: {
      showOpenDialog: async (_win: unknown, options: unknown) => {
        dialogs.shown.push({ kind: 'open', options });
        const p = dialogs.next.shift();
        return { canceled: p === undefined, filePaths: p === undefined ? [] : [p] };
      },
      showSaveDialog: async (_win: unknown, options: unknown) => {
        dialogs.shown.push({ kind: 'save', options });
        const p = dialogs.next.shift();
        return { canceled: p === undefined, filePath: p ?? '' };
      },
      showErrorBox: (title: string, body: string) => dialogs.errors.push(`${title}: ${body}`),
    },
    Menu: {
      buildFromTemplate: (template: unknown) => ({ template }),
      setApplicationMenu: (menu: unknown) => menus.push(menu),
    },
    utilityProcess: {
      fork: (path: string, args: string[], options: unknown) => {
        utility.forked.push({ path, args, options });
        const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))!.slice(name.length + 3);
        const child = fork(REGISTRY_CHILD, [JSON.stringify({ home: arg('home'), idleMinutes: Number(arg('idle-minutes')), typedPaths: false, log: false })], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
        utility.children.push(child);
        return {
          postMessage: (m: unknown) => {
            utility.posted.push(m);
            child.send(m as object);
          },
          on: (event: string, h: (...a: unknown[]) => void) => child.on(event === 'exit' ? 'exit' : 'message', h),
        };
      },
    },
  };

  return {
    electron: electron as unknown as ElectronApi,
    order,
    windows,
    ipc,
    protocol,
    perms,
    dialogs,
    menus,
    utility,
    appEvents,
    quits: () => quits,
    async dispose() {
      // The registry process leaves signals to its parent and ends when the parent lets go of it.
      await Promise.all(utility.children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((resolve) => (c.once('exit', resolve), c.connected ? c.disconnect() : c.kill('SIGKILL'))))));
    },
  };
}

export type FakeElectron = ReturnType<typeof fakeElectron>;
