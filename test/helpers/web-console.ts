import { spawn } from 'node:child_process';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { World } from './world.js';
import { CLI } from './cli.js';

export interface RunningConsole {
  /** the registry folder it serves */
  home: string;
  /** the printed link, token in its fragment */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** everything the process wrote so far */
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then waits for the exit code */
  stop(): Promise<number | null>;
  /** the console's process id; it leads its own process group, as a shell job would */
  pid: number;
  exited: Promise<number | null>;
}

/** Starts the built `airlock console --web` as a real process on `home` and waits for the link it prints. */
export function startWebConsole(home: string, args: string[] = [], env: Record<string, string> = {}): Promise<RunningConsole> {
  const child = spawn(process.execPath, [CLI, 'console', '--web', '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      const m = /(http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]+)/.exec(stdout);
      if (m)
        resolve({
          home,
          pid: child.pid!,
          exited,
          url: m[0],
          origin: m[1]!,
          port: Number(m[2]),
          token: m[3]!,
          output: () => ({ stdout, stderr }),
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
    });
    void exited.then((code) => reject(new Error(`airlock console exited (${code}) before printing its link: ${stderr}`)));
  });
}

/** A browser-less client of the web transport: trades the token for the cookie, then calls as the page would. */
export async function webClient(c: RunningConsole) {
  const auth = await fetch(`${c.origin}/auth`, { method: 'POST', headers: { origin: c.origin, 'content-type': 'application/json' }, body: JSON.stringify({ token: c.token }) });
  const cookie = auth.headers.get('set-cookie')?.split(';')[0];
  if (auth.status !== 200 || !cookie) throw new Error(`token exchange failed: ${auth.status}`);
  const { secret } = ((await auth.json()) as { result: { secret: string } }).result;
  return {
    cookie,
    secret,
    async call(name: string, input: unknown, session?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: { code: string; message: string } } }> {
      const res = await fetch(`${c.origin}/api/${name}`, {
        method: 'POST',
        headers: { origin: c.origin, cookie, 'x-airlock-browser': secret, 'content-type': 'application/json', ...(session ? { 'x-airlock-session': session } : {}), ...headers },
        body: JSON.stringify(input),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
  };
}

/** Debian's Chromium, as this machine and CI have it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}

/**
 * The console on a fresh copy of a world (`prepare` may change it first), and a page at its link that
 * collects every page error and console error: a test shows a screen worked by finding none.
 */
export async function openOnWorld(browser: Browser, fork: () => Promise<World>, running: RunningConsole[], prepare?: (w: World) => Promise<void>): Promise<{ w: World; c: RunningConsole; page: Page; problems: string[] }> {
  const w = await fork();
  await prepare?.(w);
  w.reg.close();
  const c = await startWebConsole(w.reg.home.dir);
  running.push(c);
  const page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(c.url);
  return { w, c, page, problems };
}
