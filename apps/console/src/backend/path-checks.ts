import { constants } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { AirlockError } from '@airlock/shared/common';
import type { CallName } from '../api/contract.js';
import { pathsIn } from '../api/paths.js';

/** The real path of `p`, or of its nearest existing ancestor joined with the rest: a target need not exist yet. */
async function realOrNearest(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = dirname(p);
    return parent === p ? p : resolve(await realOrNearest(parent), relative(parent, p));
  }
}

/** Whether `child` is `parent` or lies under it (a name like `..x` inside it is inside). */
export function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Every path a call names, checked in the registry process after the input parsed and the session
 * resolved: never inside the registry's own folder (its keys and database must never be imported as a
 * model or overwritten by an export), links followed. Paths typed into a browser (`typed`), where
 * Electron would show a native dialog, must also be absolute and, when the call reads them, exist
 * and be readable. A path swapped for a link between this check and its use is not caught here.
 */
export async function checkPaths(name: CallName, input: unknown, home: string, opts: { typed: boolean }): Promise<void> {
  const found = pathsIn(name, input);
  if (found.length === 0) return;
  const registry = await realOrNearest(home);
  for (const { field, role, path } of found) {
    if (opts.typed && !isAbsolute(path)) throw new AirlockError('INVALID_INPUT', `${name}: ${field} must be an absolute path on this machine, like /media/usb/models; "${path}" is not.`);
    if (inside(await realOrNearest(resolve(path)), registry)) {
      throw new AirlockError('INVALID_INPUT', `${name}: ${field} "${path}" lies inside the registry's own folder ${home}; choose a path outside it.`);
    }
    if (opts.typed && role === 'source') {
      await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new AirlockError('NOT_FOUND', `${name}: ${field} "${path}" does not exist.`);
        throw new AirlockError('IO_ERROR', `${name}: ${field} "${path}" cannot be read by the console (${err.code ?? 'error'}); check its permissions.`);
      });
    }
  }
}
