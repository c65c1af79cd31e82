import { lstat, readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { AirlockError } from '@airlock/shared/common';

export interface InputFile {
  /** where the file is on disk */
  path: string;
  /** its name inside a version or bundle: "/"-separated, relative to the directory given */
  name: string;
  size: number;
}

/**
 * The regular files under the given paths, in a stable order. A directory contributes its files by
 * relative path; symbolic links and special files are refused rather than followed.
 */
export async function walkFiles(inputs: readonly string[], opts: { exclude?: (name: string) => boolean } = {}): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const walk = async (path: string, base: string | null): Promise<void> => {
    const st = await lstat(path).catch(() => {
      throw new AirlockError('NOT_FOUND', `${path} does not exist.`);
    });
    if (st.isSymbolicLink()) throw new AirlockError('INVALID_INPUT', `${path} is a symbolic link; pass the file it points to.`);
    if (st.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry), base ?? path);
    } else if (st.isFile()) {
      const name = base === null ? basename(path) : relative(base, path).split(sep).join('/');
      if (!opts.exclude?.(name)) files.push({ path, name, size: st.size });
    } else {
      throw new AirlockError('INVALID_INPUT', `${path} is not a regular file or directory.`);
    }
  };
  for (const input of inputs) await walk(input, null);
  if (files.length === 0) throw new AirlockError('INVALID_INPUT', `No files found in ${inputs.join(', ')}.`);
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new AirlockError('INVALID_INPUT', `Two inputs are both named "${f.name}".`);
    names.add(f.name);
  }
  return files;
}
