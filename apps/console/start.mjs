// `npm start`: the desktop console when Electron's binary is installed; otherwise the same console
// served on loopback and opened in the system browser (or Chromium as an app window).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { electronBinary, INSTALL_HINT } from './electron-binary.mjs';

const app = fileURLToPath(new URL('.', import.meta.url));
const binary = electronBinary();
const [command, args] = binary
  ? [binary, [app, ...process.argv.slice(2)]]
  : [process.execPath, [fileURLToPath(new URL('./dist/cli/main.js', import.meta.url)), 'console', '--web', '--open', ...process.argv.slice(2)]];
if (!binary) process.stderr.write(`${INSTALL_HINT}\nStarting the web console instead.\n`);
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
