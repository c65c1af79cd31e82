import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { BundleSlot } from '@airlock/shared/common';
import type { Logger } from '../log.js';
import { groupAlive, signalGroup, type ProcessRecords } from './process-records.js';

/** A free loopback port, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RuntimeOptions {
  releaseDir: string;
  configPath: string;
  port: number;
  /** secret values resolved on this host; passed in the environment, never written to the release */
  secrets: Record<string, string>;
  log: Logger;
  /** where the runtime's process group is recorded while it runs, so a restarted agent can reclaim it */
  records: ProcessRecords;
}

/**
 * Runs one release's runtime in a process group of its own: started with MODEL_DIR, MODEL_CONFIG and
 * PORT, restarted with backoff when it dies, stopped (the whole group, so nothing it forked survives)
 * with SIGTERM and then SIGKILL after the spec's timeout. Emits 'exit' on every unexpected death and
 * 'restarted' when a new process replaces it.
 */
export class Runtime extends EventEmitter {
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private restarts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: BundleSlot['runtime'],
    readonly opts: RuntimeOptions,
  ) {
    super();
  }

  get port(): number {
    return this.opts.port;
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping) return;
    const command = this.spec.command === 'node' ? process.execPath : this.spec.command;
    const child = spawn(command, this.spec.args, {
      cwd: this.spec.cwd ? join(this.opts.releaseDir, this.spec.cwd) : this.opts.releaseDir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...this.spec.env,
        ...this.opts.secrets,
        MODEL_DIR: this.opts.releaseDir,
        MODEL_CONFIG: this.opts.configPath,
        PORT: String(this.opts.port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      this.opts.records.add(pid, { command: this.spec.command, release: this.opts.releaseDir });
      if (this.restarts > 0) this.emit('restarted');
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', (err) => this.opts.log('error', 'runtime failed to start', { error: err.message }));
    child.on('exit', (code, signal) => {
      if (pid !== undefined) {
        // What the runtime forked dies with it; then the record may go.
        signalGroup(pid, 'SIGKILL');
        void this.opts.records.remove(pid);
      }
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      this.opts.log('warn', 'runtime exited', { code, signal, stderr: stderr.trim().split('\n').slice(-3).join(' | ') });
      this.emit('exit', code, signal);
      const delay = Math.min(10_000, 100 * 2 ** this.restarts++);
      this.timer = setTimeout(() => this.start(), delay);
    });
  }

  /** Idempotent: every caller waits for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.timer);
      const child = this.child;
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
      const pgid = child.pid;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      signalGroup(pgid, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.spec.stopTimeoutMs);
      await exited;
      clearTimeout(killer);
      if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
    })();
    return this.stopping;
  }
}
