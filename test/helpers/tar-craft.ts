import { pack } from 'tar-stream';

export interface CraftEntry {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
}

/** Builds an arbitrary tar archive in memory, for shapes the bundle writer would never produce. */
export async function craftTar(entries: CraftEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of tar) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) =>
      tar.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname ?? '', mode: 0o444, mtime: new Date(0), size: data.length }, data, (err) => (err ? reject(err) : resolve())),
    );
  }
  tar.finalize();
  await collected;
  return Buffer.concat(chunks);
}
