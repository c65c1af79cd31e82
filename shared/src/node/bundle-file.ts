import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AirlockError } from '@airlock/shared/common';

export const DEFAULT_READ_TIMEOUT_MS = 30_000;
const CHUNK = 1024 * 1024;

const kindOf = (s: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean; isSocket(): boolean }) =>
  s.isFIFO() ? 'named pipe' : s.isCharacterDevice() || s.isBlockDevice() ? 'device' : s.isDirectory() ? 'directory' : s.isSocket() ? 'socket' : 'special file';

/**
 * Opens a bundle file for one streaming read. Anything but a regular file is refused before a byte is
 * read (a FIFO or a device would block or never end; opened non-blocking, so even opening cannot
 * hang), and a read that gets nothing from the medium for `readTimeoutMs` fails with IO_ERROR instead
 * of holding the reader forever. Every failure is an AirlockError on the stream, never an unhandled one.
 */
export async function openBundleFile(path: string, readTimeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Readable> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AirlockError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot open the bundle ${path}: ${e.code === 'ENOENT' ? 'there is no such file' : e.message}.`);
  }
  const s = await fh.stat();
  if (!s.isFile()) {
    await fh.close();
    throw new AirlockError('NOT_A_FILE', `${path} is a ${kindOf(s)}, not a regular file; a bundle is read only from a regular file.`);
  }
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      const buf = Buffer.allocUnsafe(CHUNK);
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AirlockError('IO_ERROR', `Reading ${path} stalled: the medium gave no data for ${Math.round(readTimeoutMs / 1000)} s.`)), readTimeoutMs);
      });
      Promise.race([fh.read(buf, 0, CHUNK, null), stalled]).then(
        ({ bytesRead }) => {
          clearTimeout(timer);
          this.push(bytesRead === 0 ? null : buf.subarray(0, bytesRead));
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.destroy(err instanceof AirlockError ? err : new AirlockError('IO_ERROR', `Reading ${path} failed: ${(err as Error).message}`));
        },
      );
    },
    destroy(err, callback) {
      // A read stuck in the kernel keeps the handle busy; closing waits for it in the background.
      fh.close().catch(() => undefined);
      callback(err);
    },
  });
}
