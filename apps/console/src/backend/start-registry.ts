import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { AirlockError } from '@airlock/shared/common';
import { RegistryClient } from './registry-client.js';

export interface RegistryChildOptions {
  home: string;
  idleMinutes: number;
  /** paths come typed into a browser, not from native dialogs */
  typedPaths: boolean;
  /** write one JSON line per call to stderr */
  log: boolean;
}

/** Niceness of the registry process: on a busy machine the thread that answers people goes first. */
const REGISTRY_NICENESS = 10;

/**
 * Starts the registry in a child process and answers once it has opened the registry (or with why it
 * could not): the web server's event loop never waits on SQLite or scrypt, and the child runs at a
 * lower priority, so a whole-chain verify on two cores does not slow the pages down.
 */
export async function startRegistryProcess(opts: RegistryChildOptions): Promise<{ client: RegistryClient; stop: () => Promise<void> }> {
  const child = fork(new URL('./registry-child.js', import.meta.url), [JSON.stringify(opts)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, REGISTRY_NICENESS);
    } catch {
      // Not permitted here: the registry runs at normal priority, which only matters under load.
    }
  }
  const crashed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new AirlockError('INTERNAL', `The registry process failed to start: ${err.message}`)));
    child.once('exit', (code) => reject(new AirlockError('INTERNAL', `The registry process stopped before it was ready (exit ${code}).`)));
  });
  crashed.catch(() => undefined);
  const client = await Promise.race([RegistryClient.start({ post: (m) => child.send(m as object), onMessage: (h) => child.on('message', h) }), crashed]);
  child.once('exit', (code) => client.fail({ code: 'INTERNAL', message: `The registry process stopped (exit ${code}); restart the console.` }));
  return {
    client,
    stop: async () => {
      const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      await Promise.race([client.close(), exited]);
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
