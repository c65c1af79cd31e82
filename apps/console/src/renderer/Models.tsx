import { useEffect, useState } from 'react';
import type { Answer } from '../api/envelope.js';
import type { Output } from '../api/contract.js';
import { call } from './api.js';
import type { Session } from './App.js';
import { Problem } from './Problem.js';

/** The registry's models as the session's person sees them (the full screens come with part 2). */
export function Models({ session, onLocked }: { session: Session; onLocked: (session: string) => void }) {
  const [answer, setAnswer] = useState<Answer<Output<'models.list'>> | null>(null);

  useEffect(() => {
    let live = true;
    void call('models.list', {}, { session: session.session }).then((a) => {
      if (!live) return;
      setAnswer(a);
      if (!a.ok && a.error.code === 'SESSION_LOCKED') onLocked(session.session);
    });
    return () => {
      live = false;
    };
  }, [session.session, onLocked]);

  if (!answer) return <p className="status">Loading models…</p>;
  if (!answer.ok) return <Problem error={answer.error} />;
  return (
    <section aria-labelledby="models-title">
      <h2 id="models-title">Models ({answer.result.length})</h2>
      {answer.result.length === 0 ? (
        <p>No models yet: import one with `airlock import`.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Versions</th>
              <th scope="col">Latest</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {answer.result.map((m) => (
              <tr key={m.name}>
                <td>{m.name}</td>
                <td>{m.kind}</td>
                <td>{m.versions}</td>
                <td>{m.latest ?? '–'}</td>
                <td>{m.tags.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
