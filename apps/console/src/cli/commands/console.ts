import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { AirlockError } from '@airlock/shared/common';
import { logLine } from '../../backend/log.js';
import { startRegistryProcess } from '../../backend/start-registry.js';
import { serveWebConsole, type WebConsole } from '../../web/server.js';
import { action, parseIntOption } from '../run.js';

/** The renderer the build puts beside the CLI: the same bundle the desktop window loads. */
const ASSETS = fileURLToPath(new URL('../../renderer', import.meta.url));

/**
 * Opens the console in the system's browser, or Chromium as an app window when there is no opener.
 * The link's token never appears on a command line (where any local user could read it from /proc):
 * the browser is given a page in a folder only this user can read, which forwards to the link.
 */
async function openBrowser(url: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-open-'));
  const page = join(dir, 'open.html');
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  await writeFile(page, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Airlock</title><a href="${escaped}">Open the Airlock console</a>\n`, { mode: 0o600 });
  const target = pathToFileURL(page).href;
  const [command, args] = process.platform === 'darwin' ? ['open', [target]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', target]] : ['xdg-open', [target]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => {
    const chromium = spawn('chromium', [`--app=${target}`], { detached: true, stdio: 'ignore' });
    chromium.on('error', () => process.stderr.write('Could not open a browser: open the link above yourself.\n'));
    chromium.unref();
  });
  child.unref();
  return dir;
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
        const registry = await startRegistryProcess({ home: ctx.home.dir, idleMinutes: opts.idleMinutes, typedPaths: true, log: true });
        let web: WebConsole;
        try {
          web = await serveWebConsole({ client: registry.client, assets: ASSETS, port: opts.port, log: logLine });
        } catch (err) {
          await registry.stop();
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') throw new AirlockError('USAGE', `Port ${opts.port} on 127.0.0.1 is taken: choose another with --port, or leave it out for any free one.`);
          throw new AirlockError('IO_ERROR', `The console could not listen on 127.0.0.1:${opts.port} (${code ?? String(err)}).`);
        }
        const fresh = !existsSync(ctx.home.db) ? 'There is no registry there yet: the page offers to create it.\n' : '';
        process.stdout.write(`Airlock console for ${ctx.home.dir}: ${web.url}\n${fresh}The link works once, in one browser tab; Ctrl-C stops the console.\n`);
        const opened = opts.open ? await openBrowser(web.url) : undefined;
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        // The registry first: jobs in flight are cancelled and answered, then the server stops.
        await registry.stop();
        await web.close();
        if (opened) await rm(opened, { recursive: true, force: true });
        process.stdout.write('console stopped; every session was locked\n');
      }),
    );
}
