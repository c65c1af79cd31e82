import { Worker } from 'node:worker_threads';
import { AirlockError } from '@airlock/shared/common';
import { RegistryClient } from './registry-client.js';

export interface WorkerOptions {
  home: string;
  idleMinutes: number;
  /** paths come typed into a browser, not from native dialogs */
  typedPaths: boolean;
  /** write one JSON line per call to stderr */
  log: boolean;
}

/**
 * Starts the registry in a worker thread and answers once it has opened the registry (or with why it
 * could not): the web server's event loop then never waits on SQLite or scrypt.
 */
export async function startRegistryWorker(opts: WorkerOptions): Promise<{ client: RegistryClient; stop: () => Promise<void> }> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: opts });
  const crashed = new Promise<never>((_, reject) => {
    worker.once('error', (err) => reject(new AirlockError('INTERNAL', `The registry process failed to start: ${err.message}`)));
    worker.once('exit', (code) => reject(new AirlockError('INTERNAL', `The registry process stopped before it was ready (exit ${code}).`)));
  });
  crashed.catch(() => undefined);
  const client = await Promise.race([RegistryClient.start({ post: (m) => worker.postMessage(m), onMessage: (h) => worker.on('message', h) }), crashed]);
  worker.once('exit', (code) => client.fail({ code: 'INTERNAL', message: `The registry process stopped (exit ${code}); restart the console.` }));
  return {
    client,
    stop: async () => {
      await client.close();
      await worker.terminate();
    },
  };
}
