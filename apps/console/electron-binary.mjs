// Where Electron's binary is, if `npx install-electron` has fetched it; null otherwise. Requiring the
// `electron` package instead would try to download the binary, which an air-gapped machine cannot.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function electronBinary() {
  let dir;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

export const INSTALL_HINT =
  "Electron's binary is not installed (npm ci skips its download). On a machine with internet run `npx install-electron`; " +
  'with an internal mirror, set ELECTRON_MIRROR to it first. Set ELECTRON_SKIP_BINARY_DOWNLOAD=1 to keep installs from trying.';
