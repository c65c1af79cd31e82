import { copyFile, lstat, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toTimestamp } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';

/** Keeps a refused file and the reason it was refused, for an operator to look at. */
export async function quarantine(dir: string, path: string, error: { code: string; message: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = `${toTimestamp().replaceAll(':', '')}-${basename(path)}`;
  // Only a regular file is copied: opening a FIFO or a device would block or never end.
  if ((await lstat(path).catch(() => null))?.isFile()) await copyFile(path, join(dir, name)).catch(() => undefined);
  await writeFileAtomic(join(dir, `${name}.why.json`), `${JSON.stringify({ file: path, ...error, at: toTimestamp() })}\n`);
}
