import type { Progress } from './call.js';
import type { Answer } from './envelope.js';

/** The IPC channels between the preload and main: the bridge's methods, one channel each. */
export const CHANNELS = { call: 'airlock:call', cancel: 'airlock:cancel', progress: 'airlock:progress', choosePath: 'airlock:choose-path' } as const;

/** Which native dialog to show: a file or folder to read, or where to write. */
export type DialogKind = 'source-file' | 'source-folder' | 'target-folder' | 'target-file';

/** A progress event of one call, named by the id its caller gave it. */
export interface ProgressEvent {
  call: string;
  progress: Progress;
}

/**
 * What the preload exposes to the desktop window as `window.airlock`, and all it exposes: calls into
 * the contract, progress events, cancel, and the native dialogs whose chosen paths are the only ones
 * main lets a call use. No Node, no `ipcRenderer`, no keys.
 */
export interface DesktopBridge {
  call(name: string, input: unknown, meta: { session?: string; callId?: string }): Promise<Answer<unknown>>;
  cancel(callId: string): void;
  subscribe(event: 'progress', listener: (e: ProgressEvent) => void): () => void;
  choosePath(kind: DialogKind): Promise<string | null>;
}
