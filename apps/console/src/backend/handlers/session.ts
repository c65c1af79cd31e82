import { toTimestamp } from '@airlock/shared/common';
import type { Handlers } from '../handler.js';

export const sessionHandlers: Handlers<'session.lock' | 'session.current'> = {
  'session.lock': ({ sessions, session }) => {
    sessions.lock(session);
    return { locked: true };
  },
  'session.current': ({ actor, sessions, session }) => ({
    user: actor.user.name,
    roles: actor.user.roles,
    idleMinutes: sessions.idleMinutes,
    lockedAt: toTimestamp(sessions.locksAt(session)),
  }),
};
