import { isAirlockError, toErrorData } from '@airlock/shared/common';
import { CONTRACT } from '../api/contract.js';
import { describeIssues } from '../api/issues.js';
import type { Progress } from '../api/call.js';
import type { Answer } from '../api/envelope.js';
import { openRegistry, type Registry } from '../registry/context.js';
import { resolveHome } from '../registry/home.js';
import { initRegistry } from '../registry/services/init.js';
import { Dispatcher } from './dispatcher.js';
import { ToRegistrySchema, type FromRegistry, type MessagePort } from './protocol.js';
import { Sessions } from './sessions.js';

export interface RegistryProcessOptions {
  home?: string;
  idleMinutes?: number;
  /** paths come typed into a browser (the web console), not from native dialogs */
  typedPaths?: boolean;
  log?: (entry: Record<string, unknown>) => void;
}

/** How often idle sessions are locked (their keys wiped) even if nobody calls. */
const SWEEP_MS = 30_000;
/** How long shutdown waits for cancelled jobs to take back what they started. */
const DRAIN_MS = 10_000;
/**
 * At most one progress message per call this often: a verify reports every audit event, and a
 * million messages would keep the receiving thread (the window's, the web server's) busy for seconds.
 */
const PROGRESS_EVERY_MS = 100;

/** Passes progress on at most every PROGRESS_EVERY_MS, always the newest, the first at once. */
function throttled(send: (p: Progress) => void): (p: Progress) => void {
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    send(p);
  };
}

/**
 * The registry process: SQLite is synchronous and a whole-chain verify takes seconds, so the registry
 * runs here, off the thread that draws windows or answers HTTP. It opens the registry, then answers
 * calls arriving on `port` through the one dispatcher, streaming progress and honouring cancels.
 * Every call message gets an answer, a malformed one too; shutdown cancels the jobs in flight, waits
 * for them to clean up, locks every session and closes the registry. Where there is no registry yet,
 * it answers only `registry.init` (the console's first run) until one is created.
 */
export async function serveRegistry(port: MessagePort, opts: RegistryProcessOptions): Promise<void> {
  const send = (m: FromRegistry) => port.post(m);
  const home = resolveHome(opts.home);
  const serve = (reg: Registry) => new Dispatcher(reg, new Sessions(opts.idleMinutes), { ...(opts.log ? { log: opts.log } : {}), typedPaths: opts.typedPaths ?? false });
  // No registry yet is the console's first run, not a failure: it answers `registry.init` until one exists.
  let dispatcher: Dispatcher | null = null;
  try {
    dispatcher = serve(await openRegistry(home));
  } catch (err) {
    if (!isAirlockError(err, 'REGISTRY_NOT_FOUND')) {
      send({ type: 'failed', error: toErrorData(err) });
      return;
    }
  }
  const sweep = setInterval(() => dispatcher?.sessions.sweep(), SWEEP_MS);
  sweep.unref();
  const running = new Map<number, { abort: AbortController; done: Promise<void> }>();
  let closing = false;
  let creating = false;

  async function shutdown(): Promise<void> {
    closing = true;
    clearInterval(sweep);
    for (const r of running.values()) r.abort.abort();
    await Promise.race([Promise.all([...running.values()].map((r) => r.done)), new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
    dispatcher?.sessions.lockAll();
    dispatcher?.reg.close();
    send({ type: 'closed' });
  }

  /** The first run: creates the registry with the given admin, then serves it. */
  async function create(input: unknown): Promise<Answer<unknown>> {
    const parsed = CONTRACT['registry.init'].input.safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: { code: 'INVALID_INPUT', message: `registry.init: ${describeIssues(parsed.error)}` } };
    if (creating) return { ok: false, error: { code: 'CONFLICT', message: 'The registry is being created already.' } };
    creating = true;
    try {
      const { reg, result } = await initRegistry(home, parsed.data);
      dispatcher = serve(reg);
      opts.log?.({ call: 'registry.init', ok: true });
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    } finally {
      creating = false;
    }
  }

  port.onMessage((raw) => {
    const parsed = ToRegistrySchema.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (Number.isSafeInteger(id) && (id as number) > 0) send({ type: 'answer', id: id as number, answer: { ok: false, error: { code: 'INVALID_INPUT', message: 'The call is malformed (its name or session is too long, or a field is missing).' } } });
      return;
    }
    const m = parsed.data;
    if (m.type === 'cancel') running.get(m.id)?.abort.abort();
    else if (m.type === 'shutdown') void shutdown();
    else {
      const answered = (answer: Answer<unknown>) => send({ type: 'answer', id: m.id, answer });
      if (closing) return answered({ ok: false, error: { code: 'CANCELLED', message: 'The console is stopping; nothing was started.' } });
      if (!dispatcher) {
        if (m.name === 'registry.init') return void create(m.input).then(answered);
        return answered({ ok: false, error: { code: 'REGISTRY_NOT_FOUND', message: `There is no registry at ${home.dir} yet: create it on the console's first screen, or with \`airlock init\`.` } });
      }
      const abort = new AbortController();
      const done = dispatcher
        .call(m.name, m.input, { ...(m.session ? { session: m.session } : {}), signal: abort.signal, onProgress: throttled((progress) => send({ type: 'progress', id: m.id, progress })) })
        .then((answer) => {
          running.delete(m.id);
          answered(answer);
        });
      running.set(m.id, { abort, done });
    }
  });
  send({ type: 'ready' });
}
