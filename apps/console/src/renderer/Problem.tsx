import type { ErrorData } from '@airlock/shared/common';

/** A refusal as the registry said it: its code and the sentence to act on. Never hidden. */
export function Problem({ error }: { error: ErrorData }) {
  return (
    <div role="alert" className="problem">
      <strong>{error.code}</strong> {error.message}
    </div>
  );
}
