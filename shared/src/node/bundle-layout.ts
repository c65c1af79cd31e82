import type { Header } from 'tar-stream';

/** Entry names inside a bundle: the only three shapes a bundle may contain. */
export const MANIFEST_ENTRY = 'airlock-bundle.json';
export const rootEntryName = (version: number): string => `roots/${version}.root.json`;
export const blobEntryName = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;

export const ROOT_ENTRY = /^roots\/([1-9][0-9]{0,8})\.root\.json$/;
export const BLOB_ENTRY = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** Fixed entry metadata keeps bundles reproducible: same inputs, same bytes. */
export const ENTRY_DEFAULTS = { mode: 0o444, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0) } as const;

export type TarHeader = Partial<Header> & { name: string; pax?: Record<string, string> };

/** Bytes a pax extended header's records take: "%d %s=%s\n" each, the length counting itself. */
export function paxLength(pax: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(pax)) {
    const body = Buffer.byteLength(` ${key}=${value}\n`);
    let len = body + String(body).length;
    if (String(len).length > String(body).length) len++;
    total += len;
  }
  return total;
}
