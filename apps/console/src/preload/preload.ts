import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNELS, type DesktopBridge, type ProgressEvent } from '../api/bridge.js';

/**
 * The sandboxed bridge: the window gets `window.airlock` with exactly the DesktopBridge's methods,
 * each a fixed IPC message that main checks. `ipcRenderer` itself never reaches the page.
 */
const bridge: DesktopBridge = {
  call: (name, input, meta) => ipcRenderer.invoke(CHANNELS.call, name, input, meta),
  cancel: (callId) => ipcRenderer.send(CHANNELS.cancel, callId),
  subscribe: (_event, listener) => {
    const handler = (_e: IpcRendererEvent, payload: ProgressEvent) => listener(payload);
    ipcRenderer.on(CHANNELS.progress, handler);
    return () => void ipcRenderer.removeListener(CHANNELS.progress, handler);
  },
  choosePath: (kind) => ipcRenderer.invoke(CHANNELS.choosePath, kind),
};

contextBridge.exposeInMainWorld('airlock', bridge);
