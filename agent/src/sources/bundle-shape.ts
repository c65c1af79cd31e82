import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MANIFEST_ENTRY } from '@airlock/shared/node';

/** A tar archive ends with two zero blocks (writers may pad further with zeros). */
const END_OF_ARCHIVE = 1024;
/** A bundle's first tar header starts with the name of its first entry, the manifest. */
const FIRST_BYTES = Buffer.from(`${MANIFEST_ENTRY}\0`);

export interface BundleShape {
  /** the file's first bytes are those every bundle starts with (as far as the file goes): it may be one being copied */
  startsLikeBundle: boolean;
  /** the last 1024 bytes are zero: a copy cut short almost never ends so, a complete bundle always does */
  endsWithEndMarker: boolean;
}

/**
 * Two bounded reads, at the start and at the end of the file as large as the caller saw it. Opened
 * non-blocking, as bundles are, in case the regular file the caller saw was swapped for a FIFO.
 */
export async function bundleShape(path: string, size: number): Promise<BundleShape> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const first = Buffer.alloc(Math.min(size, FIRST_BYTES.length));
    const { bytesRead } = await fh.read(first, 0, first.length, 0);
    const startsLikeBundle = first.subarray(0, bytesRead).equals(FIRST_BYTES.subarray(0, bytesRead));
    if (size < END_OF_ARCHIVE) return { startsLikeBundle, endsWithEndMarker: false };
    const last = Buffer.alloc(END_OF_ARCHIVE);
    const end = await fh.read(last, 0, END_OF_ARCHIVE, size - END_OF_ARCHIVE);
    return { startsLikeBundle, endsWithEndMarker: end.bytesRead === END_OF_ARCHIVE && last.every((b) => b === 0) };
  } finally {
    await fh.close();
  }
}
