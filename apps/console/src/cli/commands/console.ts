import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { logLine } from '../../backend/log.js';
import { startRegistryWorker } from '../../backend/start-worker.js';
import { serveWebConsole } from '../../web/server.js';
import { action, parseIntOption } from '../run.js';

/** The renderer the build puts beside the CLI: the same bundle the desktop window loads. */
const ASSETS = fileURLToPath(new URL('../../renderer', import.meta.url));

/** Opens the console in the system's browser, or Chromium as an app window when there is no opener. */
function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => {
    const chromium = spawn('chromium', [`--app=${url}`], { detached: true, stdio: 'ignore' });
    chromium.on('error', () => process.stderr.write('Could not open a browser: open the link above yourself.\n'));
    chromium.unref();
  });
  child.unref();
}

export function registerConsole(program: Command): void {
  program
    .command('console')
    .description('the console: with --web, serve it to a browser on this machine (loopback only)')
    .option('--web', 'serve the console over loopback HTTP (the desktop app is `npm start`)')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free one)', parseIntOption('--port', 0, 65_535), 0)
    .option('--open', 'open the link in the system browser (or Chromium as an app window)')
    .option('--idle-minutes <n>', 'lock a session after this long without a call', parseIntOption('--idle-minutes', 1, 24 * 60), 15)
    .action(
      action(async (ctx, opts: { web?: boolean; port: number; open?: boolean; idleMinutes: number }) => {
        if (!opts.web) throw new AirlockError('USAGE', 'Say how to show the console: `airlock console --web` serves it to a browser on this machine; the desktop app starts with `npm start`.');
        const registry = await startRegistryWorker({ home: ctx.home.dir, idleMinutes: opts.idleMinutes, log: true });
        const web = await serveWebConsole({ client: registry.client, home: ctx.home.dir, assets: ASSETS, port: opts.port, log: logLine });
        process.stdout.write(`Airlock console for ${ctx.home.dir}: ${web.url}\nThe link works once, in one browser; Ctrl-C stops the console.\n`);
        if (opts.open) openBrowser(web.url);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await web.close();
        await registry.stop();
        process.stdout.write('console stopped; every session was locked\n');
      }),
    );
}
