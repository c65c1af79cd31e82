import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';

/**
 * Secret values live only on the host: in the secrets file (a JSON object, readable by the agent only)
 * or in the agent's environment. They are passed to runtimes in their environment, never written into
 * a release, a report or a log.
 */
export async function loadSecrets(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<(name: string) => string | undefined> {
  let values: Record<string, string> = {};
  if (file) {
    const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(await readFile(file, 'utf8').catch(() => {
      throw new AirlockError('NOT_FOUND', `Cannot read the secrets file ${file}.`);
    })));
    if (!parsed.success) throw new AirlockError('CONFIG_INVALID', `The secrets file ${file} must be a JSON object of names to string values.`);
    values = parsed.data;
  }
  return (name) => values[name] ?? env[name];
}
