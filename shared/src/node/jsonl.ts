import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AirlockError } from '@airlock/shared/common';

/** A line longer than this is refused rather than parsed: a JSONL record is a request, not a file. */
export const JSONL_MAX_LINE = 1024 * 1024;

/**
 * The JSON values of a JSONL file, one per non-empty line, streamed so a large file costs one line of
 * memory. A line that is not JSON is refused naming the file and the line.
 */
export async function* readJsonl(path: string, name = path): AsyncGenerator<unknown> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new AirlockError('NOT_FOUND', `Cannot read ${name}: ${err.message}`)));
  });
  await opened;
  let at = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    at++;
    if (line.trim() === '') continue;
    if (line.length > JSONL_MAX_LINE) throw new AirlockError('INVALID_INPUT', `${name} line ${at} is longer than ${JSONL_MAX_LINE} characters.`);
    try {
      yield JSON.parse(line) as unknown;
    } catch (err) {
      stream.destroy();
      throw new AirlockError('INVALID_INPUT', `${name} line ${at} is not JSON: ${(err as Error).message}`);
    }
  }
}
