import { z } from 'zod';
import { command, query } from '../call.js';
import { NoInput } from '../dto.js';
import { ROLES } from '../enums.js';

export const SessionSchema = z.strictObject({
  /** opaque: names the unlocked key, which stays in the registry process */
  session: z.string(),
  user: z.string(),
  roles: z.array(z.enum(ROLES)),
  /** the session locks itself after this long without a call */
  idleMinutes: z.int(),
});

export const sessionCalls = {
  'session.unlock': {
    ...command("Unlock a person's key for this session; the passphrase is checked once, in the registry process, and never kept.", null, z.strictObject({ user: z.string().min(1).max(64), passphrase: z.string().min(1).max(1024) }), SessionSchema),
    session: false,
  },
  'session.lock': command('Lock this session: its key is forgotten at once.', null, NoInput, z.strictObject({ locked: z.literal(true) })),
  'session.current': query('Who this session is, and how long it stays unlocked without a call.', null, NoInput, SessionSchema.omit({ session: true }).extend({ lockedAt: z.string() })),
};
