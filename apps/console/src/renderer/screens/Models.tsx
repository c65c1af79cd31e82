import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import type { ErrorData } from '@airlock/shared/common';
import type { VERSION_SORTS } from '../../api/calls/models.js';
import type { Output } from '../../api/contract.js';
import { VERSION_STATES } from '../../api/enums.js';
import { Badge } from '../components/Badge.js';
import { Problem } from '../components/Problem.js';
import { useCaller } from '../use-call.js';

type Row = Output<'versions.list'>['rows'][number];
type Sort = (typeof VERSION_SORTS)[number];

const PAGE = 100;
const ROW_HEIGHT = 36;
const COLUMNS: { sort: Sort; header: string; cell: (r: Row) => React.ReactNode }[] = [
  { sort: 'model', header: 'Model', cell: (r) => <Link href={`/models/${encodeURIComponent(r.model)}`}>{r.model}</Link> },
  { sort: 'number', header: 'Version', cell: (r) => <Link href={`/models/${encodeURIComponent(r.model)}/${r.number}`}>{r.number}</Link> },
  { sort: 'kind', header: 'Kind', cell: (r) => r.kind },
  { sort: 'tags', header: 'Tags', cell: (r) => r.tags.join(', ') || '–' },
  { sort: 'state', header: 'State', cell: (r) => <Badge value={r.state} /> },
  { sort: 'active', header: 'Active in', cell: (r) => r.active.join(', ') || '–' },
  { sort: 'created', header: 'Created', cell: (r) => r.createdAt.slice(0, 16).replace('T', ' ') },
];

/**
 * Every version of every model: filtered and sorted by the registry, fetched a page at a time as rows
 * scroll into view, and only the visible rows drawn — smooth at 100,000 versions.
 */
export function Models() {
  const caller = useCaller();
  const [text, setText] = useState('');
  const [state, setState] = useState('');
  const [activeOnly, setActiveOnly] = useState(false);
  const [sort, setSort] = useState<{ by: Sort; descending: boolean }>({ by: 'model', descending: false });
  const query = useDeferredValue(useMemo(() => ({ text, state, activeOnly, sort }), [text, state, activeOnly, sort]));
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState(new Map<number, Row[]>());
  const [error, setError] = useState<ErrorData | null>(null);
  const asked = useRef(new Set<number>());
  const generation = useRef(0);
  const scroller = useRef<HTMLDivElement>(null);

  const fetchPage = async (page: number, gen: number) => {
    if (asked.current.has(page)) return;
    asked.current.add(page);
    const a = await caller('versions.list', {
      ...(query.text ? { text: query.text } : {}),
      ...(query.state ? { state: query.state as Row['state'] } : {}),
      ...(query.activeOnly ? { active: true } : {}),
      sort: query.sort.by,
      descending: query.sort.descending,
      offset: page * PAGE,
      limit: PAGE,
    });
    if (gen !== generation.current) return;
    if (!a.ok) return setError(a.error);
    setError(null);
    setTotal(a.result.total);
    setPages((p) => new Map(p).set(page, a.result.rows));
  };

  useEffect(() => {
    generation.current++;
    asked.current = new Set();
    setPages(new Map());
    setTotal(null);
    void fetchPage(0, generation.current);
    scroller.current?.scrollTo({ top: 0 });
  }, [query]);

  const virtual = useVirtualizer({ count: total ?? 0, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const items = virtual.getVirtualItems();
  useEffect(() => {
    for (const item of items) {
      const page = Math.floor(item.index / PAGE);
      if (!pages.has(page)) void fetchPage(page, generation.current);
    }
  });

  const header = (c: (typeof COLUMNS)[number]) => {
    const current = sort.by === c.sort;
    return (
      <div role="columnheader" key={c.sort} aria-sort={current ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" onClick={() => setSort({ by: c.sort, descending: current ? !sort.descending : false })}>
          {c.header} {current ? (sort.descending ? '▼' : '▲') : ''}
        </button>
      </div>
    );
  };

  return (
    <section aria-labelledby="models-title">
      <h2 id="models-title">Models {total !== null && <small>({total.toLocaleString('en')} versions)</small>}</h2>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          Search <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="name or tag" />
        </label>
        <label className="field">
          State
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">any</option>
            {VERSION_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly(e.target.checked)} /> active somewhere
        </label>
      </form>
      {error && <Problem error={error} />}
      <div role="table" aria-label="Versions" aria-rowcount={(total ?? 0) + 1} className="grid">
        <div role="rowgroup">
          <div role="row" className="grid-row grid-head" aria-rowindex={1}>
            {COLUMNS.map(header)}
          </div>
        </div>
        <div ref={scroller} role="rowgroup" className="grid-body" tabIndex={0}>
          <div role="presentation" style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {items.map((item) => {
              const row = pages.get(Math.floor(item.index / PAGE))?.[item.index % PAGE];
              return (
                <div role="row" key={item.key} aria-rowindex={item.index + 2} className="grid-row" style={{ position: 'absolute', top: 0, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
                  {COLUMNS.map((c) => (
                    <div role="cell" key={c.sort} title={row && c.sort === 'model' ? row.model : undefined}>
                      {row ? c.cell(row) : '…'}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {total === 0 && <p className="empty">No version matches. Import one on the Import screen.</p>}
    </section>
  );
}
