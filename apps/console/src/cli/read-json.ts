import { readFile } from 'node:fs/promises';
import { AirlockError } from '@airlock/shared/common';

/** Reads a JSON file given on the command line, with an error that names it. */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new AirlockError('NOT_FOUND', `Cannot read ${path}: ${err.message}`);
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AirlockError('INVALID_INPUT', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}
