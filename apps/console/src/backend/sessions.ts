import { randomBytes } from 'node:crypto';
import { AirlockError, isAirlockError } from '@airlock/shared/common';
import { actorFor, unlock, type SigningActor } from '../registry/auth.js';
import type { Registry } from '../registry/context.js';

interface Held {
  user: string;
  signer: SigningActor['signer'];
  lastUsed: number;
  /** calls running under this session: its key is wiped only once none is left */
  inFlight: number;
  locked: boolean;
}

export const DEFAULT_IDLE_MINUTES = 15;
/** More sessions than people at one console is a leak (pages reloaded without locking), not work. */
export const MAX_SESSIONS = 64;
/** After this many wrong passphrases in a row for one person, each next try waits longer. */
const FREE_TRIES = 3;
const MAX_WAIT_MS = 5 * 60_000;

/**
 * Unlocked keys, held in the registry process only. A caller holds an opaque id; the passphrase is
 * used once, to open the key, and not kept. Each session locks itself after `idleMinutes` without a
 * call, and `lock` forgets it at once — a call already running under it still signs with the key it
 * started with, which is wiped when that call ends (wiping it mid-call would sign with zeros and break
 * the audit chain). Several people can hold sessions at the same time (a request and its approval
 * need two).
 */
export class Sessions {
  private readonly held = new Map<string, Held>();
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    readonly idleMinutes = DEFAULT_IDLE_MINUTES,
    private readonly now: () => number = Date.now,
  ) {}

  async unlock(reg: Registry, user: string, passphrase: string): Promise<{ id: string; actor: SigningActor }> {
    const failed = this.failures.get(user);
    if (failed && this.now() < failed.until) {
      const seconds = Math.ceil((failed.until - this.now()) / 1000);
      throw new AirlockError('FORBIDDEN', `${failed.count} wrong passphrases in a row for ${user}: try again in ${seconds} s.`);
    }
    this.sweep();
    if (this.held.size >= MAX_SESSIONS) throw new AirlockError('CONFLICT', `${MAX_SESSIONS} sessions are open at this console; lock one (or wait for idle ones to lock) and try again.`);
    // Not yet held to the user's sealed row: `verify` must stay possible for a person whose row does
    // not hold. Every call re-reads the row (`actor`), sealed unless it is one of the checks.
    const actor = await unlock(reg, user, passphrase, { sealed: false }).catch((err: unknown) => {
      if (isAirlockError(err, 'KEY_PASSPHRASE_WRONG')) {
        const count = (this.failures.get(user)?.count ?? 0) + 1;
        const wait = count <= FREE_TRIES ? 0 : Math.min(MAX_WAIT_MS, 1000 * 2 ** (count - FREE_TRIES));
        this.failures.set(user, { count, until: this.now() + wait });
      }
      throw err;
    });
    this.failures.delete(user);
    const id = randomBytes(32).toString('base64url');
    this.held.set(id, { user: actor.user.name, signer: actor.signer, lastUsed: this.now(), inFlight: 0, locked: false });
    return { id, actor };
  }

  /**
   * A call starts under a session: the person as the registry holds them now (roles re-read at every
   * call) with their unlocked key, and `leave` for when the call ends (however it ends). SESSION_LOCKED
   * when the session is unknown, locked or idle too long.
   */
  enter(reg: Registry, id: string | undefined, opts: { sealed: boolean }): { actor: SigningActor; leave: () => void } {
    const actor = this.actor(reg, id, opts);
    const s = this.held.get(id!)!;
    s.inFlight++;
    return {
      actor,
      leave: () => {
        s.inFlight--;
        s.lastUsed = this.now();
        if (s.locked && s.inFlight === 0) s.signer.secretKey.fill(0);
      },
    };
  }

  private actor(reg: Registry, id: string | undefined, opts: { sealed: boolean }): SigningActor {
    const s = id === undefined ? undefined : this.held.get(id);
    if (!s || this.now() - s.lastUsed > this.idleMinutes * 60_000) {
      if (id !== undefined) this.lock(id);
      throw new AirlockError('SESSION_LOCKED', 'This session is locked (signed out, or idle too long): unlock again with your passphrase.');
    }
    const actor = actorFor(reg, s.user, { sealed: opts.sealed });
    if (actor.user.key_id !== s.signer.keyId) {
      this.lock(id!);
      throw new AirlockError('SESSION_LOCKED', `${s.user}'s key changed since this session was unlocked: unlock again.`);
    }
    s.lastUsed = this.now();
    return { ...actor, signer: s.signer };
  }

  /** When the session locks if nothing else is called. */
  locksAt(id: string): number {
    const s = this.held.get(id);
    return s ? s.lastUsed + this.idleMinutes * 60_000 : this.now();
  }

  /** Forgets the session: no new call runs under it; its key is wiped now, or when its last running call ends. */
  lock(id: string): void {
    const s = this.held.get(id);
    if (!s) return;
    s.locked = true;
    this.held.delete(id);
    if (s.inFlight === 0) s.signer.secretKey.fill(0);
  }

  /** Locks every session idle too long (a running job is not idle): run on a timer, so an abandoned page's key does not linger. */
  sweep(): void {
    for (const [id, s] of this.held) if (s.inFlight === 0 && this.now() - s.lastUsed > this.idleMinutes * 60_000) this.lock(id);
  }

  get size(): number {
    return this.held.size;
  }

  lockAll(): void {
    for (const id of [...this.held.keys()]) this.lock(id);
  }
}
