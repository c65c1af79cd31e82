import type { Progress } from '../api/call.js';
import type { CallName, Output, ParsedInput } from '../api/contract.js';
import type { SigningActor } from '../registry/auth.js';
import type { Registry } from '../registry/context.js';
import type { Sessions } from './sessions.js';

/** What a handler gets besides its parsed input: the registry, the session's person and key, and a job's channels. */
export interface CallContext {
  reg: Registry;
  actor: SigningActor;
  sessions: Sessions;
  session: string;
  /** progress of a job; a no-op for queries and commands */
  progress: (p: Progress) => void;
  /** aborted when the caller cancels a job */
  signal: AbortSignal;
}

export type Handler<N extends CallName> = (ctx: CallContext, input: ParsedInput<N>) => Output<N> | Promise<Output<N>>;

/** The calls a handler table serves: every call of the contract but `session.unlock`, which comes before any session. */
export type Handlers<N extends CallName> = { [K in N]: Handler<K> };
