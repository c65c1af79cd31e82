import { toErrorData } from '@airlock/shared/common';
import { openRegistry } from '../registry/context.js';
import { resolveHome } from '../registry/home.js';
import { Dispatcher } from './dispatcher.js';
import { ToRegistrySchema, type FromRegistry, type MessagePort } from './protocol.js';
import { Sessions } from './sessions.js';

/**
 * The registry process: SQLite is synchronous and a whole-chain verify takes seconds, so the registry
 * runs here, off the thread that draws windows or answers HTTP. It opens the registry, then answers
 * calls arriving on `port` through the one dispatcher, streaming progress and honouring cancels.
 */
export async function serveRegistry(port: MessagePort, opts: { home?: string; idleMinutes?: number; log?: (entry: Record<string, unknown>) => void }): Promise<void> {
  const send = (m: FromRegistry) => port.post(m);
  let dispatcher: Dispatcher;
  try {
    const reg = await openRegistry(resolveHome(opts.home));
    dispatcher = new Dispatcher(reg, new Sessions(opts.idleMinutes), { ...(opts.log ? { log: opts.log } : {}) });
  } catch (err) {
    send({ type: 'failed', error: toErrorData(err) });
    return;
  }
  const running = new Map<number, AbortController>();
  port.onMessage((raw) => {
    const parsed = ToRegistrySchema.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'cancel') running.get(m.id)?.abort();
    else if (m.type === 'shutdown') {
      for (const c of running.values()) c.abort();
      dispatcher.sessions.lockAll();
      dispatcher.reg.close();
      send({ type: 'closed' });
    } else {
      const abort = new AbortController();
      running.set(m.id, abort);
      void dispatcher
        .call(m.name, m.input, { ...(m.session ? { session: m.session } : {}), signal: abort.signal, onProgress: (progress) => send({ type: 'progress', id: m.id, progress }) })
        .then((answer) => {
          running.delete(m.id);
          send({ type: 'answer', id: m.id, answer });
        });
    }
  });
  send({ type: 'ready' });
}
