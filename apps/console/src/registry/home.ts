import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where a registry lives: AIRLOCK_HOME, default ~/.airlock; `--home` overrides both. */
export interface Home {
  dir: string;
  db: string;
  /** roots/N.root.json: every root version ever signed; the highest is current */
  roots: string;
  /** offline key files created at init (extra root keys) */
  keys: string;
}

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): Home {
  const dir = resolve(flag ?? env.AIRLOCK_HOME ?? join(homedir(), '.airlock'));
  return { dir, db: join(dir, 'registry.sqlite'), roots: join(dir, 'roots'), keys: join(dir, 'keys') };
}
