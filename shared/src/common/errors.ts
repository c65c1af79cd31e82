/**
 * The one error type Airlock raises. Its codes are a closed set so that callers, CLIs and remote
 * peers can branch on them; the message is a sentence an operator can act on.
 */
export const ERROR_CODES = [
  'USAGE',
  'CANCELLED',
  'INTERNAL',
  'IO_ERROR',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_INPUT',
  'KEY_FILE_INVALID',
  'KEY_PASSPHRASE_WRONG',
  'ENVELOPE_INVALID',
  'SIGNATURE_INVALID',
  'SIGNATURE_KEY_UNKNOWN',
  'SIGNATURE_THRESHOLD_NOT_MET',
  'ROOT_INVALID',
  'ROOT_SCHEMA_UNSUPPORTED',
  'ROOT_VERSION_SKIPPED',
  'ROOT_EXPIRED',
  'BLOB_DIGEST_MISMATCH',
  'BLOB_SIZE_MISMATCH',
  'BLOB_NOT_FOUND',
  'BUNDLE_TOO_LARGE',
  'BUNDLE_MALFORMED',
  'BUNDLE_TRUNCATED',
  'BUNDLE_TRAILING_DATA',
  'BUNDLE_MANIFEST_NOT_FIRST',
  'BUNDLE_MANIFEST_INVALID',
  'BUNDLE_SCHEMA_UNSUPPORTED',
  'BUNDLE_ENTRY_UNSAFE_PATH',
  'BUNDLE_ENTRY_TYPE',
  'BUNDLE_ENTRY_UNKNOWN',
  'BUNDLE_ENTRY_DUPLICATE',
  'BUNDLE_ENTRY_ORDER',
  'BUNDLE_BLOB_UNLISTED',
  'BUNDLE_BLOB_MISSING',
  'BUNDLE_EXPIRED',
  'BUNDLE_FROM_FUTURE',
  'BUNDLE_REJECTED',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'SESSION_LOCKED',
  'IMMUTABLE',
  'CONFLICT',
  'ILLEGAL_TRANSITION',
  'GATE_FAILED',
  'APPROVAL_SELF',
  'APPROVAL_DUPLICATE',
  'EVIDENCE_CHANGED',
  'DEPENDENCY_BLOCKED',
  'CONFIG_INVALID',
  'EVAL_FAILED',
  'REGISTRY_NOT_FOUND',
  'REGISTRY_TOO_NEW',
  'AUDIT_CHAIN_BROKEN',
  'AUDIT_TRUNCATED',
  'INTEGRITY_FAILED',
  'BUNDLE_REPLAYED',
  'NOT_TARGETED',
  'BELOW_FLOOR',
  'APPROVALS_INSUFFICIENT',
  'HEALTH_GATE_FAILED',
  'PROBATION_FAILED',
  'RUNTIME_FAILED',
  'AGENT_NOT_RUNNING',
  'NO_RELEASE',
  'REPORT_INVALID',
  'HOST_UNKNOWN',
  'HOST_KEY_CHANGED',
  'AUTHORISATION_INVALID',
  'AUTHORISATION_EXPIRED',
  'AUTHORISATION_USED',
  'STATE_DAMAGED',
  'AUDIT_DAMAGED',
  'NOT_A_FILE',
  'RESET_INVALID',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class AirlockError extends Error {
  override readonly name = 'AirlockError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAirlockError(err: unknown, code?: ErrorCode): err is AirlockError {
  return err instanceof AirlockError && (code === undefined || err.code === code);
}

/** Any thrown value as error data; unknown failures become INTERNAL without leaking internals. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof AirlockError) return err.toData();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected failure: ${message}` };
}
