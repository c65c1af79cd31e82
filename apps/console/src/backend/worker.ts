import { parentPort, workerData } from 'node:worker_threads';
import { logLine } from './log.js';
import { serveRegistry } from './registry-process.js';
import type { WorkerOptions } from './start-worker.js';

/** The registry process as a worker thread: how the web console keeps SQLite off its event loop. */
const port = parentPort!;
const opts = workerData as WorkerOptions;
void serveRegistry(
  { post: (m) => port.postMessage(m), onMessage: (h) => port.on('message', h) },
  { home: opts.home, idleMinutes: opts.idleMinutes, typedPaths: opts.typedPaths, ...(opts.log ? { log: logLine } : {}) },
);
