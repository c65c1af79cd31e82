import { randomBytes } from 'node:crypto';
import { AirlockError } from '@airlock/shared/common';
import { actorFor, unlock, type SigningActor } from '../registry/auth.js';
import type { Registry } from '../registry/context.js';

interface Held {
  user: string;
  signer: SigningActor['signer'];
  lastUsed: number;
}

export const DEFAULT_IDLE_MINUTES = 15;

/**
 * Unlocked keys, held in the registry process only. A caller holds an opaque id; the passphrase is
 * used once, to open the key, and not kept. Each session locks itself after `idleMinutes` without a
 * call, and `lock` forgets it at once. Several people can hold sessions at the same time (a request
 * and its approval need two).
 */
export class Sessions {
  private readonly held = new Map<string, Held>();

  constructor(
    readonly idleMinutes = DEFAULT_IDLE_MINUTES,
    private readonly now: () => number = Date.now,
  ) {}

  async unlock(reg: Registry, user: string, passphrase: string): Promise<{ id: string; actor: SigningActor }> {
    // Not yet held to the user's sealed row: `verify` must stay possible for a person whose row does
    // not hold. Every call re-reads the row (`actor`), sealed unless it is one of the checks.
    const actor = await unlock(reg, user, passphrase, { sealed: false });
    const id = randomBytes(32).toString('base64url');
    this.held.set(id, { user: actor.user.name, signer: actor.signer, lastUsed: this.now() });
    return { id, actor };
  }

  /**
   * The session's person as the registry holds them now (roles re-read at every call), with their
   * unlocked key; SESSION_LOCKED when the session is unknown, locked or idle too long.
   */
  actor(reg: Registry, id: string | undefined, opts: { sealed: boolean }): SigningActor {
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

  /** Forgets the session and wipes its key from memory. */
  lock(id: string): void {
    const s = this.held.get(id);
    if (!s) return;
    s.signer.secretKey.fill(0);
    this.held.delete(id);
  }

  lockAll(): void {
    for (const id of [...this.held.keys()]) this.lock(id);
  }
}
