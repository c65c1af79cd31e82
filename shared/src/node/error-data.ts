import { toErrorData, type ErrorData } from '@airlock/shared/common';

/** What an operator can do about each file-system failure. */
const ADVICE: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist: check the path (is the stick mounted?)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder where a file was expected',
  EACCES: 'permission denied: check its owner and mode',
  EPERM: 'the operation is not permitted there',
  EROFS: 'the file system is read-only (a write-protected or read-only mounted medium?)',
  ENOSPC: 'the disk is full: free space or choose another place',
  EDQUOT: 'the disk quota is exhausted',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files: try again',
  EIO: 'the device reported an I/O error: the medium may be failing',
};

/**
 * Any thrown value as error data for a person: Airlock's own errors as they are, a file-system
 * failure as IO_ERROR naming the path and what to do, anything else INTERNAL. The one place both
 * CLIs turn failures into what they print.
 */
export function describeFailure(err: unknown): ErrorData {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof e.code === 'string' && ADVICE[e.code]) {
    const where = e.path ? `${e.path}: ` : '';
    return { code: 'IO_ERROR', message: `Cannot ${e.syscall ?? 'use'} ${where}${ADVICE[e.code]}.` };
  }
  return toErrorData(err);
}
