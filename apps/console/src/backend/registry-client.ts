import { AirlockError, type ErrorData } from '@airlock/shared/common';
import type { Progress } from '../api/call.js';
import type { Answer } from '../api/envelope.js';
import type { FromRegistry, MessagePort, ToRegistry } from './protocol.js';

interface Pending {
  resolve: (a: Answer<unknown>) => void;
  onProgress?: (p: Progress) => void;
}

/**
 * A transport's handle on the registry process: calls go out as messages and come back as answers,
 * with progress on the way; a cancel is a message too. Calls in flight when the process goes away
 * are answered with an error, never left hanging.
 */
export class RegistryClient {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private closed: (() => void) | undefined;

  private constructor(private readonly port: MessagePort) {}

  /** Waits until the registry process has opened the registry (or says why it could not). */
  static start(port: MessagePort): Promise<RegistryClient> {
    const client = new RegistryClient(port);
    return new Promise((resolve, reject) => {
      port.onMessage((raw) => {
        const m = raw as FromRegistry;
        if (m.type === 'ready') resolve(client);
        else if (m.type === 'failed') reject(new AirlockError(m.error.code as ErrorData['code'], m.error.message));
        else client.receive(m);
      });
    });
  }

  private receive(m: FromRegistry): void {
    if (m.type === 'answer') {
      this.pending.get(m.id)?.resolve(m.answer as Answer<unknown>);
      this.pending.delete(m.id);
    } else if (m.type === 'progress') this.pending.get(m.id)?.onProgress?.(m.progress as Progress);
    else if (m.type === 'closed') this.closed?.();
  }

  call(name: string, input: unknown, meta: { session?: string; onProgress?: (p: Progress) => void; signal?: AbortSignal } = {}): Promise<Answer<unknown>> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, ...(meta.onProgress ? { onProgress: meta.onProgress } : {}) });
      meta.signal?.addEventListener('abort', () => this.send({ type: 'cancel', id }), { once: true });
      this.send({ type: 'call', id, name, input, ...(meta.session ? { session: meta.session } : {}) });
    });
  }

  private send(m: ToRegistry): void {
    this.port.post(m);
  }

  /** Answers every call still in flight with `error`: the process went away under them. */
  fail(error: ErrorData): void {
    for (const p of this.pending.values()) p.resolve({ ok: false, error });
    this.pending.clear();
  }

  /** Locks every session and closes the registry; resolves when the process says it is done. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closed = resolve;
      this.send({ type: 'shutdown' });
    });
  }
}
