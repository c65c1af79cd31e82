import type { IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { z } from 'zod';
import type { ErrorData } from '@airlock/shared/common';
import { CHANNELS, type DialogKind } from '../api/bridge.js';
import { CONTRACT, isCallName } from '../api/contract.js';
import { describeIssues } from '../api/issues.js';
import type { Answer } from '../api/envelope.js';
import { pathsIn, type PathRole } from '../api/paths.js';
import type { RegistryClient } from '../backend/registry-client.js';
import { isAppUrl } from './app-origin.js';
import type { ElectronApi } from './electron-api.js';

const CallIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const MetaSchema = z.strictObject({ session: z.string().max(200).optional(), callId: CallIdSchema.optional() });
const DialogKindSchema = z.enum(['source-file', 'source-folder', 'target-folder', 'target-file'] satisfies DialogKind[]);

const refusal = (error: ErrorData): Answer<never> => ({ ok: false, error });

/**
 * A message counts only if it comes from the app's own page in the top frame of a window main made:
 * not from an iframe, not from a page navigated elsewhere, not from a frame already gone.
 */
export function fromApp(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url);
}

/**
 * The IPC router: every call from the renderer is checked here before it travels on to the registry
 * process — its sender, its name, its input against the call's schema — and every path it names must
 * be one the person chose in a native dialog of this window (the renderer cannot make up paths).
 */
export function registerIpc(e: Pick<ElectronApi, 'ipcMain' | 'dialog' | 'BrowserWindow'>, client: RegistryClient): void {
  const granted = new WeakMap<WebContents, Map<string, PathRole>>();
  const running = new Map<string, AbortController>();

  e.ipcMain.handle(CHANNELS.call, async (event, name: unknown, input: unknown, meta: unknown): Promise<Answer<unknown>> => {
    if (!fromApp(event)) return refusal({ code: 'FORBIDDEN', message: 'Calls are taken only from the console’s own page.' });
    if (typeof name !== 'string' || !isCallName(name)) return refusal({ code: 'USAGE', message: `There is no call "${String(name).slice(0, 100)}".` });
    const parsedMeta = MetaSchema.safeParse(meta ?? {});
    if (!parsedMeta.success) return refusal({ code: 'INVALID_INPUT', message: 'The call’s session or id is malformed.' });
    const parsed = CONTRACT[name].input.safeParse(input ?? {});
    if (!parsed.success) return refusal({ code: 'INVALID_INPUT', message: `${name}: ${describeIssues(parsed.error)}` });
    const chosen = granted.get(event.sender);
    for (const { field, role, path } of pathsIn(name, parsed.data)) {
      if (chosen?.get(path) !== role) return refusal({ code: 'FORBIDDEN', message: `${name}: ${field} must be chosen in the ${role === 'source' ? 'open' : 'save'} dialog; "${path}" was not.` });
    }
    const { session, callId } = parsedMeta.data;
    const key = callId ? `${event.sender.id}:${callId}` : undefined;
    const abort = new AbortController();
    if (key && running.has(key)) return refusal({ code: 'CONFLICT', message: `A call with id ${callId} is still running; give each call its own id.` });
    if (key) running.set(key, abort);
    try {
      return await client.call(name, parsed.data, {
        ...(session ? { session } : {}),
        signal: abort.signal,
        ...(callId ? { onProgress: (progress) => !event.sender.isDestroyed() && event.sender.send(CHANNELS.progress, { call: callId, progress }) } : {}),
      });
    } finally {
      if (key) running.delete(key);
    }
  });

  e.ipcMain.on(CHANNELS.cancel, (event, callId: unknown) => {
    if (!fromApp(event) || !CallIdSchema.safeParse(callId).success) return;
    running.get(`${event.sender.id}:${String(callId)}`)?.abort();
  });

  e.ipcMain.handle(CHANNELS.choosePath, async (event, kind: unknown): Promise<string | null> => {
    if (!fromApp(event)) return null;
    const k = DialogKindSchema.safeParse(kind);
    if (!k.success) return null;
    const win = e.BrowserWindow.fromWebContents(event.sender);
    if (!win) return null;
    let path: string | undefined;
    if (k.data === 'target-file') {
      const r = await e.dialog.showSaveDialog(win, { properties: ['createDirectory', 'showOverwriteConfirmation'] });
      path = r.canceled ? undefined : r.filePath;
    } else {
      const properties: ('openFile' | 'openDirectory' | 'createDirectory')[] = k.data === 'source-file' ? ['openFile'] : k.data === 'source-folder' ? ['openDirectory'] : ['openDirectory', 'createDirectory'];
      const r = await e.dialog.showOpenDialog(win, { properties });
      path = r.canceled ? undefined : r.filePaths[0];
    }
    if (!path) return null;
    const paths = granted.get(event.sender) ?? new Map<string, PathRole>();
    paths.set(path, k.data.startsWith('source') ? 'source' : 'target');
    granted.set(event.sender, paths);
    return path;
  });
}
