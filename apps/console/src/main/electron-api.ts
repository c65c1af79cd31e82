import type * as Electron from 'electron';

/**
 * The parts of Electron main uses, passed in rather than imported, so that tests run main's whole
 * setup against a recording fake (the Electron binary cannot be fetched on every build machine).
 */
export type ElectronApi = Pick<typeof Electron, 'app' | 'BrowserWindow' | 'Menu' | 'dialog' | 'ipcMain' | 'protocol' | 'session' | 'utilityProcess'>;
