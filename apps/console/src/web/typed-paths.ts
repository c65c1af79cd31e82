import { constants } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
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

const inside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * A browser types paths where Electron would show a native dialog, so the web transport checks each
 * one before the registry sees it: absolute; not inside the registry's own folder (its keys and
 * database must never be imported as a model or overwritten by an export), followed through links;
 * and a path the call reads must exist and be readable.
 */
export async function checkTypedPaths(name: CallName, input: unknown, home: string): Promise<void> {
  const registry = await realOrNearest(home);
  for (const { field, role, path } of pathsIn(name, input)) {
    if (!isAbsolute(path)) throw new AirlockError('INVALID_INPUT', `${name}: ${field} must be an absolute path on this machine, like /media/usb/models; "${path}" is not.`);
    if (inside(await realOrNearest(path), registry)) {
      throw new AirlockError('INVALID_INPUT', `${name}: ${field} "${path}" lies inside the registry's own folder ${home}; choose a path outside it.`);
    }
    if (role === 'source') {
      await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new AirlockError('NOT_FOUND', `${name}: ${field} "${path}" does not exist.`);
        throw new AirlockError('IO_ERROR', `${name}: ${field} "${path}" cannot be read by the console (${err.code ?? 'error'}); check its permissions.`);
      });
    }
  }
}
