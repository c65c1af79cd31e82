import { useEffect, useState } from 'react';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import type { ErrorData } from '@airlock/shared/common';
import { call } from './api.js';
import { Problem } from './components/Problem.js';
import { ScreenBoundary } from './components/ScreenBoundary.js';
import { JobTray } from './jobs.js';
import { SCREENS } from './screens.js';
import { CreateRegistry } from './screens/CreateRegistry.js';
import { Relock } from './screens/Relock.js';
import { Unlock } from './screens/Unlock.js';
import { useSessions } from './session.js';
import { signInWeb, transport } from './transport.js';

/** Who is unlocked, whose session acts, and the switch between them. */
function SessionBar() {
  const { sessions, active, activate, forget } = useSessions();
  const lock = async (id: string) => {
    await call('session.lock', {}, { session: id });
    forget(id);
  };
  return (
    <nav aria-label="Sessions" className="sessions">
      {sessions.map((s) => (
        <span key={s.session} className={s.session === active?.session ? 'session active' : 'session'}>
          <button type="button" onClick={() => activate(s.session)} aria-pressed={s.session === active?.session}>
            {s.user} <small>({s.locked ? 'locked' : s.roles.join(', ')})</small>
          </button>
          <button type="button" onClick={() => void lock(s.session)} aria-label={`Lock ${s.user}'s session`}>
            Lock
          </button>
        </span>
      ))}
      <button type="button" onClick={() => activate(null)} aria-pressed={active === null}>
        Unlock another person
      </button>
    </nav>
  );
}

function Navigation() {
  const [location] = useLocation();
  return (
    <nav aria-label="Screens" className="screens">
      <ul>
        {SCREENS.filter((s) => s.nav).map((s) => (
          <li key={s.path}>
            <Link href={s.path} aria-current={location === s.path || location.startsWith(`${s.path}/`) ? 'page' : undefined}>
              {s.nav}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * The console's frame: connects (on the web, trades the printed link's token for a cookie and a
 * page secret), lets people unlock side by side, shows whose session acts, and the screens, each at
 * its own URL (`#/models`, `#/promotions/3`, …).
 */
export function App() {
  const [connected, setConnected] = useState<'checking' | 'yes' | 'no registry' | ErrorData>('checking');
  const { active } = useSessions();

  useEffect(() => {
    void (async () => {
      if (transport.kind === 'web') {
        const signIn = await signInWeb();
        if (!signIn.ok) return setConnected(signIn.error);
        // Open the progress stream now, so a job's first events are not sent before anyone listens.
        transport.subscribe(() => undefined);
      }
      // Any call tells whether this page may talk to the console (UNAUTHENTICATED without its cookie and
      // secret) and whether there is a registry yet (REGISTRY_NOT_FOUND: the first run).
      const probe = await call('session.current', {});
      setConnected(probe.ok || probe.error.code === 'SESSION_LOCKED' ? 'yes' : probe.error.code === 'REGISTRY_NOT_FOUND' ? 'no registry' : probe.error);
    })();
  }, []);

  if (connected === 'checking') return <p className="status">Connecting to the registry…</p>;
  if (connected === 'no registry') return <main className="first-run"><CreateRegistry onCreated={() => setConnected('yes')} /></main>;
  if (connected !== 'yes') return <Problem error={connected} />;
  return (
    <Router hook={useHashLocation}>
      <div className="shell">
        <header>
          <h1>Airlock</h1>
          <SessionBar />
        </header>
        <div className="body">
          {active && <Navigation />}
          <main>
            {active ? (
              <>
                <p className="acting">
                  Acting as <strong>{active.user}</strong> ({active.roles.join(', ')}); the session locks after {active.idleMinutes} minutes without a call.
                </p>
                {active.locked && <Relock session={active} />}
                <JobTray />
                <Screens />
              </>
            ) : (
              <Unlock />
            )}
          </main>
        </div>
      </div>
    </Router>
  );
}

/** The screen at the URL, each in its own boundary. */
function Screens() {
  const [location] = useLocation();
  return (
    <ScreenBoundary screen={location}>
      <Switch>
        {SCREENS.map((s) => (
          <Route key={s.path} path={s.path} component={s.component} />
        ))}
        <Route>
          <ScreenNotFound />
        </Route>
      </Switch>
    </ScreenBoundary>
  );
}

function ScreenNotFound() {
  const [location, navigate] = useLocation();
  useEffect(() => {
    if (location === '/' || location === '') navigate('/models', { replace: true });
  }, [location, navigate]);
  return location === '/' || location === '' ? null : <Problem error={{ code: 'NOT_FOUND', message: `There is no screen at ${location}; pick one on the left.` }} />;
}
