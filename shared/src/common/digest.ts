import { z } from 'zod';
import { AirlockError } from './errors.js';

/** Content digests are written `sha256:<64 hex>` in every document Airlock signs. */
export const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a digest is "sha256:" and 64 lower-case hex digits');
export type Digest = z.infer<typeof DigestSchema>;

export const digestOfHex = (hex: string): Digest => `sha256:${hex}`;

export function hexOfDigest(digest: string): string {
  if (!DigestSchema.safeParse(digest).success) throw new AirlockError('INVALID_INPUT', `"${digest}" is not a sha256 digest.`);
  return digest.slice(7);
}

const SEGMENT = /^[A-Za-z0-9._@+=-]+$/;

/** The one rule for names of files inside versions and bundles, as a sentence for error messages. */
export const FILE_NAME_RULE =
  'names inside a version use only letters, digits and . _ @ + = - in "/"-separated parts (no spaces or control characters, no empty, "." or ".." parts), at most 255 characters a part and 1024 in all.';

/**
 * A relative path that is safe to join under a directory on any OS and survives every later command:
 * forward slashes, no empty, "." or ".." segments, no absolute or drive prefix, a small ASCII set.
 */
export const SafeRelativePathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => p.split('/').every((s) => s.length > 0 && s.length <= 255 && s !== '.' && s !== '..' && SEGMENT.test(s)),
    'a path is relative, uses "/" and letters, digits or ._@+=- only, with no empty, "." or ".." segments',
  );
