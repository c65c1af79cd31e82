import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AirlockError, type ErrorData } from '@airlock/shared/common';
import { describeFailure } from '@airlock/shared/node';
import type { Progress } from '../api/call.js';
import { CONTRACT, isCallName, type CallName, type ParsedInput } from '../api/contract.js';
import { describeIssues } from '../api/issues.js';
import type { Answer } from '../api/envelope.js';
import { authorize } from '../registry/auth.js';
import { openDueReviews } from '../registry/services/review-cycle.js';
import type { Registry } from '../registry/context.js';
import type { CallContext, Handler } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { checkPaths } from './path-checks.js';
import type { Sessions } from './sessions.js';

/** The checks a person may run even when their own row no longer holds, since finding that out is what they are for. */
const CHECKS: ReadonlySet<CallName> = new Set(['registry.verify', 'audit.verify', 'audit.adopt']);

export interface CallMeta {
  /** the session the call runs as; every call but `session.unlock` needs one */
  session?: string;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface DispatcherOptions {
  /** parse every output against the contract too (tests and development builds) */
  checkOutputs?: boolean;
  /** one structured line per call; never given inputs, which may hold passphrases */
  log?: (entry: Record<string, unknown>) => void;
  /** paths come typed into a browser, not from native dialogs: hold them to stricter checks */
  typedPaths?: boolean;
}

const idle = new AbortController().signal;

/**
 * The one way into the registry for every transport: the call's input is parsed against its schema,
 * the session resolved, the caller's roles checked, the handler run, and whatever happens comes back
 * as `{ ok, result }` or `{ ok: false, error: { code, message } }` — never a stack, a raw schema dump
 * or a thrown value.
 */
export class Dispatcher {
  constructor(
    readonly reg: Registry,
    readonly sessions: Sessions,
    private readonly opts: DispatcherOptions = {},
  ) {}

  async call(name: string, input: unknown, meta: CallMeta = {}): Promise<Answer<unknown>> {
    const started = performance.now();
    let answer: Answer<unknown>;
    try {
      answer = { ok: true, result: await this.run(name, input, meta) };
    } catch (err) {
      answer = { ok: false, error: this.normalise(name, err) };
    }
    this.opts.log?.({ call: name, ok: answer.ok, ...(answer.ok ? {} : { code: answer.error.code }), ms: Math.round(performance.now() - started) });
    return answer;
  }

  private async run(name: string, input: unknown, meta: CallMeta): Promise<unknown> {
    if (!isCallName(name)) throw new AirlockError('USAGE', `There is no call "${name.slice(0, 100)}".`);
    const spec = CONTRACT[name];
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) throw new AirlockError('INVALID_INPUT', `${name}: ${describeIssues(parsed.error)}`);
    if (name === 'registry.init') throw new AirlockError('ALREADY_EXISTS', `A registry already exists at ${this.reg.home.dir}; unlock to work in it.`);
    const result = name === 'session.unlock' ? await this.unlock(parsed.data as ParsedInput<'session.unlock'>) : await this.handle(name, parsed.data, meta);
    if (this.opts.checkOutputs) {
      const out = spec.output.safeParse(result);
      if (!out.success) throw new AirlockError('INTERNAL', `The registry answered ${name} in a shape its contract does not allow: ${z.prettifyError(out.error)}`);
    }
    return result;
  }

  private async unlock({ user, passphrase }: ParsedInput<'session.unlock'>) {
    const { id, actor } = await this.sessions.unlock(this.reg, user, passphrase);
    return { session: id, user: actor.user.name, roles: actor.user.roles, idleMinutes: this.sessions.idleMinutes };
  }

  private async handle(name: Exclude<CallName, 'session.unlock' | 'registry.init'>, input: unknown, meta: CallMeta): Promise<unknown> {
    const { actor, leave } = this.sessions.enter(this.reg, meta.session, { sealed: !CHECKS.has(name) });
    try {
      const permission = CONTRACT[name].permission;
      if (permission) authorize(actor, permission);
      await checkPaths(name, input, this.reg.home.dir, { typed: this.opts.typedPaths ?? false });
      meta.signal?.throwIfAborted();
      // Reviews that fall due by the calendar are opened by whichever call comes first after they do;
      // a reminder that cannot be written never stops the call it rides on.
      if (!CHECKS.has(name)) {
        await openDueReviews(this.reg, actor).catch((err: unknown) => this.opts.log?.({ call: name, level: 'warn', event: 'review-calendar', error: err instanceof Error ? err.message : String(err) }));
      }
      const ctx: CallContext = { reg: this.reg, actor, sessions: this.sessions, session: meta.session!, progress: meta.onProgress ?? (() => undefined), signal: meta.signal ?? idle };
      return await (HANDLERS[name] as Handler<typeof name>)(ctx, input as never);
    } finally {
      leave();
    }
  }

  /** Any failure as data a person can act on; an unexpected one is logged with a reference and said as such. */
  private normalise(name: string, err: unknown): ErrorData {
    if (err instanceof AirlockError) return err.toData();
    if (err instanceof Error && err.name === 'AbortError') return { code: 'CANCELLED', message: `${name} was cancelled; nothing it started was kept.` };
    const data = describeFailure(err);
    if (data.code !== 'INTERNAL') return data;
    const ref = randomBytes(4).toString('hex');
    this.opts.log?.({ call: name, level: 'error', ref, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return { code: 'INTERNAL', message: `Something went wrong inside the registry (reference ${ref}); its log has the details.` };
  }
}
