import { InvalidArgumentError, type Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { actorFor, unlock, type Actor, type SigningActor } from '../registry/auth.js';
import { openRegistry, type Registry } from '../registry/context.js';
import { resolveHome } from '../registry/home.js';
import { Output } from './output.js';
import { passphrase } from './passphrase.js';

interface Globals {
  json?: boolean;
  home?: string;
  user?: string;
}

/** What a command's action gets: output, and the registry opened for reading or for a signed change. */
export class CommandContext {
  private opened: Registry | undefined;

  constructor(
    readonly out: Output,
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

  /** Reads are authenticated like writes: the user proves who they are by unlocking their key. */
  async reader(): Promise<{ reg: Registry; actor: Actor }> {
    return this.writer();
  }

  /** The acting user's key, unlocked: every change is signed into the audit log by it. */
  async writer(opts: { sealed?: boolean } = {}): Promise<{ reg: Registry; actor: SigningActor }> {
    const reg = await this.registry();
    actorFor(reg, this.userName, opts);
    return { reg, actor: await unlock(reg, this.userName, await passphrase(`Passphrase for ${this.userName}: `), opts) };
  }

  /** For the integrity checks: the user proves who they are, but their own row need not hold, since finding that out is the job. */
  async verifier(): Promise<{ reg: Registry; actor: Actor }> {
    return this.writer({ sealed: false });
  }

  close(): void {
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
    const ctx = new CommandContext(new Output(Boolean(globals.json)), globals);
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
