import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Output } from '../api/contract.js';

export type Session = Output<'session.unlock'> & {
  /** the registry said SESSION_LOCKED: the screen stays, and asks this person to unlock again */
  locked?: boolean;
};

interface Sessions {
  sessions: Session[];
  active: Session | null;
  activate(id: string | null): void;
  add(s: Session): void;
  forget(id: string): void;
  /** the registry locked this session (idle too long): keep it on the page until its person unlocks again */
  markLocked(id: string): void;
}

const SessionsContext = createContext<Sessions | null>(null);

/**
 * The people unlocked at this console, side by side (a request and its approval need two), and whose
 * session acts now. Only opaque session ids live here; keys stay in the registry process.
 */
export function SessionsProvider({ children }: { children: ReactNode }) {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const add = useCallback((s: Session) => {
    setSessions((all) => [...all.filter((x) => x.user !== s.user), s]);
    setActiveId(s.session);
  }, []);
  const forget = useCallback((id: string) => {
    setSessions((all) => all.filter((x) => x.session !== id));
    setActiveId((a) => (a === id ? null : a));
  }, []);
  const markLocked = useCallback((id: string) => setSessions((all) => all.map((x) => (x.session === id ? { ...x, locked: true } : x))), []);
  const value = useMemo(() => ({ sessions, active: sessions.find((s) => s.session === activeId) ?? null, activate: setActiveId, add, forget, markLocked }), [sessions, activeId, add, forget, markLocked]);
  return <SessionsContext.Provider value={value}>{children}</SessionsContext.Provider>;
}

export function useSessions(): Sessions {
  const s = useContext(SessionsContext);
  if (!s) throw new Error('useSessions outside SessionsProvider');
  return s;
}

/** The acting session; screens render only while one is active. */
export function useSession(): Session {
  const { active } = useSessions();
  if (!active) throw new Error('no active session');
  return active;
}
