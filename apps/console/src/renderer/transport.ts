import type { DesktopBridge, DialogKind, ProgressEvent } from '../api/bridge.js';
import type { Answer } from '../api/envelope.js';

/** How the renderer reaches the registry: the desktop bridge, or the loopback web server. */
export interface Transport {
  readonly kind: 'desktop' | 'web';
  call(name: string, input: unknown, meta: { session?: string; callId?: string }): Promise<Answer<unknown>>;
  cancel(callId: string): void;
  subscribe(listener: (e: ProgressEvent) => void): () => void;
  /** a native dialog (desktop only); on the web the operator types the path and the server checks it */
  choosePath?: (kind: DialogKind) => Promise<string | null>;
}

declare global {
  interface Window {
    airlock?: DesktopBridge;
  }
}

function desktop(bridge: DesktopBridge): Transport {
  return {
    kind: 'desktop',
    call: (name, input, meta) => bridge.call(name, input, meta),
    cancel: (callId) => bridge.cancel(callId),
    subscribe: (listener) => bridge.subscribe('progress', listener),
    choosePath: (kind) => bridge.choosePath(kind),
  };
}

const unreachable = (message: string): Answer<unknown> => ({ ok: false, error: { code: 'IO_ERROR', message } });

/** The page's secret from the token exchange: in this origin's sessionStorage, so it survives a reload of this tab only. */
const SECRET_KEY = 'airlock.browser';
const secret = () => sessionStorage.getItem(SECRET_KEY) ?? '';

function web(): Transport {
  const listeners = new Set<(e: ProgressEvent) => void>();
  let events: EventSource | undefined;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<unknown>> => {
    try {
      const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-airlock-browser': secret(), ...headers }, body: JSON.stringify(body), credentials: 'same-origin' });
      return (await res.json()) as Answer<unknown>;
    } catch {
      return unreachable('The console server does not answer; is `airlock console --web` still running?');
    }
  };
  return {
    kind: 'web',
    call: (name, input, meta) =>
      post(`/api/${encodeURIComponent(name)}`, input ?? {}, {
        ...(meta.session ? { 'x-airlock-session': meta.session } : {}),
        ...(meta.callId ? { 'x-airlock-call': meta.callId } : {}),
      }),
    cancel: (callId) => void post('/api/cancel', { call: callId }),
    subscribe: (listener) => {
      listeners.add(listener);
      events ??= Object.assign(new EventSource(`/api/events?s=${encodeURIComponent(secret())}`), {
        onmessage: (m: MessageEvent<string>) => {
          const e = JSON.parse(m.data) as ProgressEvent;
          for (const l of listeners) l(e);
        },
      });
      return () => listeners.delete(listener);
    },
  };
}

/**
 * On the web, the link the console printed carries a one-time token in its fragment (never sent to
 * any server): trade it for the HttpOnly cookie and take it out of the address bar and history.
 */
export async function signInWeb(): Promise<Answer<unknown>> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token === null) return { ok: true, result: { signedIn: false } };
  history.replaceState(null, '', location.pathname);
  const res = await fetch('/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
  const answer = (await res.json()) as Answer<{ signedIn: boolean; secret: string }>;
  if (answer.ok) sessionStorage.setItem(SECRET_KEY, answer.result.secret);
  return answer;
}

export const transport: Transport = window.airlock ? desktop(window.airlock) : web();
