import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { AirlockError } from '@airlock/shared/common';

/**
 * One agent per state directory. The lock is an abstract Unix socket named after the directory's real
 * path: binding it is atomic, and the kernel releases it the moment its holder dies, however it dies —
 * so there is no stale lock to take over and no race between two starts. Whoever holds it answers with
 * its pid, for the message. (Abstract sockets are per network namespace: agents sharing a state
 * directory across containers are not stopped by this.)
 */
export async function lockStateDir(dir: string): Promise<() => Promise<void>> {
  const name = `\0airlock-agent:${createHash('sha256').update(await realpath(dir)).digest('hex').slice(0, 32)}`;
  const server = createServer((s) => s.end(String(process.pid)));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => resolve());
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const pid = await holder(name);
    throw new AirlockError('CONFLICT', `Another agent${pid ? ` (pid ${pid})` : ''} is running on ${dir}. Stop it first, or give this one its own state directory.`);
  }
  server.unref();
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

function holder(name: string): Promise<string | null> {
  return new Promise((resolve) => {
    let answer = '';
    const s = connect(name);
    s.setTimeout(1000, () => s.destroy());
    s.on('data', (d) => (answer += d.toString()));
    s.on('close', () => resolve(/^\d+$/.test(answer) ? answer : null));
    s.on('error', () => resolve(null));
  });
}
