import { useState } from 'react';
import { Action, field } from '../components/Action.js';
import { Badge } from '../components/Badge.js';
import { Loaded } from '../components/Loaded.js';
import { ReviewCalendar } from '../components/ReviewCalendar.js';
import { SubjectLink } from '../components/SubjectLink.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';
import type { DriftDecision } from '../../api/enums.js';

const age = (at: string) => {
  const hours = (Date.now() - Date.parse(at)) / 3_600_000;
  return hours < 1 ? `${Math.round(hours * 60)} min` : hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`;
};

/** The review queue: open items by kind and age, each with its subject, resolved with a note (and, for drift, a decision). */
export function Reviews() {
  const [all, setAll] = useState(false);
  const { answer, reload } = useQuery('reviews.list', { all }, [all]);
  return (
    <section aria-labelledby="reviews-title">
      <h2 id="reviews-title">Review queue</h2>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> resolved ones too
      </label>
      <Loaded answer={answer}>
        {(items) => (
          <Table
            caption="Review items"
            empty="Nothing to review."
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              { header: '#', cell: (r) => r.id },
              { header: 'Kind', cell: (r) => <Badge value={r.kind} /> },
              { header: 'Subject', cell: (r) => <SubjectLink subject={r.subject} /> },
              { header: 'What happened', cell: (r) => r.detail },
              { header: 'Age', cell: (r) => age(r.openedAt) },
              {
                header: 'Resolution',
                cell: (r) =>
                  r.resolvedAt ? (
                    `${r.resolvedBy}: ${r.note}`
                  ) : (
                    <Action name="reviews.resolve" label={`Resolve #${r.id}`} input={(f) => ({ id: r.id, note: field(f, 'note'), ...(r.kind === 'drift' ? { decision: field(f, 'decision') as DriftDecision } : {}) })} onDone={reload}>
                      {r.kind === 'drift' && (
                        <label className="field">
                          Decision{' '}
                          <select name="decision" required defaultValue="">
                            <option value="" disabled>
                              choose…
                            </option>
                            <option value="accept">accept the drift</option>
                            <option value="retrain">request retraining</option>
                            <option value="rollback">rolled back</option>
                          </select>
                        </label>
                      )}
                      <label className="field">
                        Note <input name="note" required />
                      </label>
                    </Action>
                  ),
              },
            ]}
          />
        )}
      </Loaded>
      <h3>Coming round</h3>
      <ReviewCalendar refresh={answer} />
    </section>
  );
}
