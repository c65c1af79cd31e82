import { serveRegistry } from '../backend/registry-process.js';
import { logLine } from '../backend/log.js';

/**
 * The registry process of the desktop app: an Electron utility process, so SQLite, scrypt and whole-
 * chain verification never run on main's thread, which draws the window. Main passes the registry
 * folder and the idle timeout as arguments.
 */
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const port = process.parentPort;
void serveRegistry(
  { post: (m) => port.postMessage(m), onMessage: (h) => port.on('message', (e) => h(e.data)) },
  { home: arg('home'), idleMinutes: Number(arg('idle-minutes') ?? 15), log: logLine },
);
