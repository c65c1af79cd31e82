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

export const RegistryCreatedSchema = z.strictObject({
  home: z.string(),
  admin: z.strictObject({ name: z.string(), keyId: z.string() }),
  root: z.strictObject({ version: z.int(), path: z.string(), expiresAt: z.string(), rootKeys: z.int(), rootThreshold: z.int() }),
  extraKeyFiles: z.array(z.string()),
});

export const sessionCalls = {
  'registry.init': {
    ...command(
      "Create the registry the console serves, where none exists yet: database, blob store, the first admin (who holds every role and the root key) and root of trust v1.",
      null,
      z.strictObject({
        admin: z.string().min(1).max(64),
        passphrase: z.string().min(1).max(1024),
        rootThreshold: z.int().min(1).max(16).default(1),
        extraRootKeys: z.int().min(0).max(15).default(0),
        rootExpiresDays: z.int().min(1).max(3650).default(365),
      }),
      RegistryCreatedSchema,
    ),
    session: false,
  },
  'session.unlock': {
    ...command("Unlock a person's key for this session; the passphrase is checked once, in the registry process, and never kept.", null, z.strictObject({ user: z.string().min(1).max(64), passphrase: z.string().min(1).max(1024) }), SessionSchema),
    session: false,
  },
  'session.lock': command('Lock this session: its key is forgotten at once.', null, NoInput, z.strictObject({ locked: z.literal(true) })),
  'session.current': query('Who this session is, and how long it stays unlocked without a call.', null, NoInput, SessionSchema.omit({ session: true }).extend({ lockedAt: z.string() })),
};
