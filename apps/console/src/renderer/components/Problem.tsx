import type { ErrorData } from '@airlock/shared/common';

/** A refusal as the registry said it: its code, and the sentence that says what to do next. Never hidden. */
export function Problem({ error }: { error: ErrorData }) {
  return (
    <div role="alert" className="problem">
      <strong>{error.code}</strong> {error.message}
    </div>
  );
}
