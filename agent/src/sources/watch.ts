import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

/** Bundle files only: no partial copies, no OS junk (._*, .DS_Store, Thumbs.db), no hidden files. */
export const isBundleName = (path: string) => {
  const name = basename(path);
  return name.endsWith('.airlock') && !name.startsWith('.') && !name.startsWith('._');
};

/**
 * Watches source directories with polling (removable and network mounts deliver no change events),
 * waiting until a file stops growing before handing it over. Never writes to the sources.
 */
export function watchDirs(dirs: string[], pollIntervalMs: number, onFile: (path: string) => void, log: Logger): FSWatcher | null {
  if (dirs.length === 0) return null;
  const watcher = watch(dirs, {
    usePolling: true,
    interval: pollIntervalMs,
    binaryInterval: pollIntervalMs,
    depth: 0,
    ignoreInitial: false,
    awaitWriteFinish: { stabilityThreshold: Math.max(300, pollIntervalMs), pollInterval: Math.min(100, pollIntervalMs) },
    ignored: (path, stats) => stats?.isFile() === true && !isBundleName(path),
  });
  const hand = (path: string) => {
    if (!isBundleName(path)) return;
    stat(path).then(
      (s) => s.isFile() && onFile(path),
      () => undefined,
    );
  };
  watcher.on('add', hand).on('change', hand).on('error', (err) => log('warn', 'source watch error', { error: String(err) }));
  // Polling chokidar misses a file created while it takes its first look at a folder, and then never
  // sees it change either: list the folders on the same cadence and have it watch any bundle it lacks.
  const sweep = setInterval(() => {
    if (watcher.closed) return clearInterval(sweep);
    const watched = watcher.getWatched();
    for (const dir of dirs) {
      readdir(dir).then(
        (names) => names.filter((n) => isBundleName(n) && !watched[dir]?.includes(n)).forEach((n) => watcher.add(join(dir, n))),
        () => undefined,
      );
    }
  }, pollIntervalMs);
  sweep.unref();
  return watcher;
}
