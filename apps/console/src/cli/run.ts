import { InvalidArgumentError, type Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { CONTRACT, type CallName, type Input, type Output } from '../api/contract.js';
import { Dispatcher } from '../backend/dispatcher.js';
import { Sessions } from '../backend/sessions.js';
import { openRegistry, type Registry } from '../registry/context.js';
import { resolveHome } from '../registry/home.js';
import { Output as Printer } from './output.js';
import { passphrase } from './passphrase.js';

interface Globals {
  json?: boolean;
  home?: string;
  user?: string;
}

/** What a command's action gets: output, and the registry's one API, called as the acting person. */
export class CommandContext {
  private opened: Registry | undefined;
  private dispatcher: Dispatcher | undefined;
  private session: string | undefined;

  constructor(
    readonly out: Printer,
    private readonly globals: Globals,
  ) {}

  get home() {
    return resolveHome(this.globals.home);
  }

  get userName(): string | undefined {
    return this.globals.user ?? process.env.AIRLOCK_USER;
  }

  async registry(): Promise<Registry> {
    this.opened ??= await openRegistry(this.home);
    return this.opened;
  }

  /**
   * One call through the dispatcher every transport uses, as the acting person: their key is unlocked
   * for this command's session on the first call (reads are authenticated like writes). `progress`
   * labels a bar for jobs that count bytes or items; Ctrl-C cancels a job (exit 130).
   */
  /** Unlocks the acting person's key now, rather than at the first call. */
  async signIn(): Promise<void> {
    this.dispatcher ??= new Dispatcher(await this.registry(), new Sessions());
    this.session ??= await this.unlock(this.dispatcher);
  }

  call<N extends CallName>(name: N, input: Input<N>, opts: { progress?: string } = {}): Promise<Output<N>> {
    return this.callWith(name, input, opts);
  }

  /** `call` with input read from a file the person gave, whose shape only the call's schema checks. */
  async callWith<N extends CallName>(name: N, input: Record<string, unknown>, opts: { progress?: string } = {}): Promise<Output<N>> {
    if (CONTRACT[name].session) await this.signIn();
    this.dispatcher ??= new Dispatcher(await this.registry(), new Sessions());
    const bar = opts.progress ? this.out.progress(opts.progress) : undefined;
    const abort = new AbortController();
    const cancel = () => abort.abort();
    process.once('SIGINT', cancel);
    try {
      const answer = await this.dispatcher.call(name, input, {
        ...(this.session ? { session: this.session } : {}),
        signal: abort.signal,
        onProgress: (p) => (p.unit !== 'events' && p.total > 0 ? bar?.update(p.done, p.total, p.unit) : undefined),
      });
      if (!answer.ok) throw new AirlockError(answer.error.code, answer.error.message, answer.error.details);
      return answer.result as Output<N>;
    } finally {
      process.removeListener('SIGINT', cancel);
      bar?.stop();
    }
  }

  private async unlock(d: Dispatcher): Promise<string> {
    const user = this.userName;
    if (!user) throw new AirlockError('UNAUTHENTICATED', 'Name the acting user with --user or AIRLOCK_USER.');
    const answer = await d.call('session.unlock', { user, passphrase: await passphrase(`Passphrase for ${user}: `) });
    if (!answer.ok) throw new AirlockError(answer.error.code, answer.error.message, answer.error.details);
    return (answer.result as Output<'session.unlock'>).session;
  }

  close(): void {
    if (this.session) this.dispatcher?.sessions.lock(this.session);
    this.opened?.close();
  }
}

/**
 * Wraps a command's action: builds the context from the global options, and turns any error into a
 * printed code and an exit code, so commands only parse, call a service and print.
 */
export function action<A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    const globals = this.optsWithGlobals<Globals>();
    const ctx = new CommandContext(new Printer(Boolean(globals.json)), globals);
    try {
      await fn(ctx, ...args);
    } catch (err) {
      // An argument checked inside an action (e.g. a promotion id) is a usage mistake like any other.
      process.exitCode = ctx.out.error(err instanceof InvalidArgumentError ? new AirlockError('USAGE', err.message) : err);
    } finally {
      ctx.close();
    }
  };
}

export function parseIntOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export const collect = (value: string, previous: string[]) => [...previous, value];
