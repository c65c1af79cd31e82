import { logLine } from './log.js';
import { serveRegistry } from './registry-process.js';
import type { RegistryChildOptions } from './start-registry.js';

/** The registry process of the web console: a child process, talking to its parent over the IPC channel. */
const opts = JSON.parse(process.argv[2] ?? '{}') as RegistryChildOptions;
// The parent is gone (stopped, or killed): so is this process's reason to run.
process.once('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the parent stops this process in order (jobs cancelled and
// answered, sessions locked, the registry closed), so the signals themselves are left to it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
void serveRegistry(
  { post: (m) => process.send?.(m as object), onMessage: (h) => process.on('message', h) },
  { home: opts.home, idleMinutes: opts.idleMinutes, typedPaths: opts.typedPaths, ...(opts.log ? { log: logLine } : {}) },
);
