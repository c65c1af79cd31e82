import { Link } from 'wouter';
import { Badge } from './Badge.js';
import { Loaded } from './Loaded.js';
import { SubjectLink } from './SubjectLink.js';
import { Table } from './Table.js';
import { useQuery } from '../use-call.js';

/** What the environments' review policies make due: overdue items (each has a review item) and what comes due soon. */
export function ReviewCalendar({ withinDays = 14, refresh }: { withinDays?: number; /** asked again whenever this changes */ refresh?: unknown }) {
  const { answer } = useQuery('reviews.due', { withinDays }, [refresh]);
  return (
    <Loaded answer={answer}>
      {(items) => (
        <Table
          caption="Review calendar"
          empty={`Nothing comes due within ${withinDays} days.`}
          rows={items}
          rowKey={(d) => `${d.kind} ${d.subject}`}
          columns={[
            { header: 'When', cell: (d) => (d.overdue ? <strong>overdue since {d.dueAt.slice(0, 10)}</strong> : `due ${d.dueAt.slice(0, 10)}`) },
            { header: 'Kind', cell: (d) => <Badge value={d.kind} /> },
            { header: 'Subject', cell: (d) => <SubjectLink subject={d.subject} /> },
            { header: 'Why', cell: (d) => d.detail },
            { header: 'Item', cell: (d) => (d.reviewId === null ? '' : `#${d.reviewId}`) },
          ]}
        />
      )}
    </Loaded>
  );
}

/** The fleet's reminder: how many calendar reviews are overdue, per environment, with a way to them. */
export function OverdueReviews() {
  const { answer } = useQuery('reviews.due', { withinDays: 0 });
  if (!answer?.ok) return null;
  const overdue = answer.result.filter((d) => d.overdue);
  if (overdue.length === 0) return null;
  const perEnv = new Map<string, number>();
  for (const d of overdue) perEnv.set(d.environment ?? 'all environments', (perEnv.get(d.environment ?? 'all environments') ?? 0) + 1);
  return (
    <p className="note" role="note" aria-label="Overdue reviews">
      {overdue.length} review{overdue.length === 1 ? '' : 's'} overdue by the review calendar ({[...perEnv].map(([env, n]) => `${env}: ${n}`).join(', ')}): <Link href="/reviews">open the review queue</Link>.
    </p>
  );
}
