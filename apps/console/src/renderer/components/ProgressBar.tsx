import type { Progress } from '../../api/call.js';

const amount = (n: number, unit: Progress['unit']) => (unit === 'bytes' ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n} ${unit}`);

/** A job's progress: a bar when the total is known, a count while it is not. */
export function ProgressBar({ progress, label }: { progress: Progress | null; label: string }) {
  if (!progress) return <p role="status">{label}: starting…</p>;
  const { phase, done, total, unit } = progress;
  return (
    <div className="progress">
      <label>
        {label} ({phase}): {amount(done, unit)}
        {total > 0 ? ` of ${amount(total, unit)}` : ''}
        <progress value={total > 0 ? done : undefined} max={total > 0 ? total : undefined} />
      </label>
    </div>
  );
}
