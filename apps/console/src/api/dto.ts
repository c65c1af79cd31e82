import { z } from 'zod';
import { ERROR_CODES } from '@airlock/shared/common';

/** Pieces the calls' schemas share. Times are the registry's ISO-8601 text. */
export const At = z.string();
export const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
/** NAME (the latest version) or NAME@N; the registry parses it and says what is wrong */
export const Ref = z.string().min(1).max(200);
export const Name = z.string().min(1).max(128);
export const Id = z.int().min(1);
/**
 * Paths on the machine the registry runs on: from a native dialog in Electron, typed on the web. A
 * source is read by the call, a target written; the transports find them in an input by these two
 * schemas (api/paths.ts) and check them before the registry sees them.
 */
export const SourcePath = z.string().min(1).max(4096);
export const TargetPath = z.string().min(1).max(4096);
export const Metrics = z.record(z.string(), z.number());
export const Json = z.unknown();

export const ErrorDataSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** One thing `verify` found: a code, what it is about, and a sentence. */
export const ProblemSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  subject: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const NoInput = z.strictObject({});
