import { useCallback, useEffect, useState } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import type { Output } from '../api/contract.js';
import { call } from './api.js';
import { Models } from './Models.js';
import { Problem } from './Problem.js';
import { signInWeb, transport } from './transport.js';
import { Unlock } from './Unlock.js';

export type Session = Output<'session.unlock'>;

/**
 * The console's frame: connects (on the web, trades the printed link's token for a cookie), lets
 * people unlock sessions side by side (the two-person rule needs an approver beside the requester),
 * shows whose session acts, and the screens for that session.
 */
export function App() {
  const [connected, setConnected] = useState<'checking' | 'yes' | ErrorData>('checking');
  const [sessions, setSessions] = useState<Session[]>([]);
  const [active, setActive] = useState<string | null>(null);

  useEffect(() => {
    if (transport.kind === 'desktop') return setConnected('yes');
    void signInWeb().then(async (signIn) => {
      if (!signIn.ok) return setConnected(signIn.error);
      // Any call tells whether this browser holds the console's cookie: without it the server answers UNAUTHENTICATED.
      const probe = await call('session.current', {});
      setConnected(!probe.ok && probe.error.code === 'UNAUTHENTICATED' ? probe.error : 'yes');
    });
  }, []);

  const session = sessions.find((s) => s.session === active) ?? null;
  const forget = useCallback((id: string) => setSessions((all) => all.filter((x) => x.session !== id)), []);
  const unlocked = (s: Session) => {
    setSessions((all) => [...all.filter((x) => x.user !== s.user), s]);
    setActive(s.session);
  };
  const lock = async (s: Session) => {
    await call('session.lock', {}, { session: s.session });
    forget(s.session);
    setActive((a) => (a === s.session ? null : a));
  };

  if (connected === 'checking') return <p className="status">Connecting to the registry…</p>;
  if (connected !== 'yes') return <Problem error={connected} />;
  return (
    <div className="shell">
      <header>
        <h1>Airlock</h1>
        <nav aria-label="Sessions">
          {sessions.map((s) => (
            <span key={s.session} className={s.session === active ? 'session active' : 'session'}>
              <button type="button" onClick={() => setActive(s.session)} aria-pressed={s.session === active}>
                {s.user} <small>({s.roles.join(', ')})</small>
              </button>
              <button type="button" onClick={() => void lock(s)} aria-label={`Lock ${s.user}'s session`}>
                Lock
              </button>
            </span>
          ))}
          <button type="button" onClick={() => setActive(null)} aria-pressed={active === null}>
            Unlock another person
          </button>
        </nav>
      </header>
      <main>
        {session ? (
          <>
            <p className="acting">
              Acting as <strong>{session.user}</strong>; the session locks after {session.idleMinutes} minutes without a call.
            </p>
            <Models session={session} onLocked={forget} />
          </>
        ) : (
          <Unlock onUnlocked={unlocked} />
        )}
      </main>
    </div>
  );
}
