import { Loaded } from './Loaded.js';
import { Table } from './Table.js';
import { useQuery } from '../use-call.js';

/** Retraining requests decided on drift reviews, newest first: of one model, or of every model (the fleet). */
export function RetrainingRequests({ model }: { model?: string }) {
  const { answer } = useQuery('retraining.list', model ? { model } : {}, [model]);
  return (
    <>
      <h3>Retraining requested</h3>
      <Loaded answer={answer}>
        {(rows) => (
          <Table
            caption="Retraining requests decided on drift reviews"
            empty="None."
            rows={rows}
            rowKey={(r) => r.id}
            columns={[
              { header: 'Version', cell: (r) => r.version },
              { header: 'Review', cell: (r) => `#${r.review}` },
              { header: 'Requested', cell: (r) => `${r.requestedBy}, ${r.requestedAt.slice(0, 16).replace('T', ' ')}` },
              { header: 'Why', cell: (r) => r.reason },
            ]}
          />
        )}
      </Loaded>
    </>
  );
}
