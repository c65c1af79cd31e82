import { chmod, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { AirlockError, toErrorData } from '@airlock/shared/common';
import type { Daemon } from '../daemon.js';
import { ControlRequestSchema, type ControlRequest } from './protocol.js';

/** Paths cross the socket absolute: the agent's working directory is not the caller's. */
function absolute(path: string): string {
  if (!isAbsolute(path)) throw new AirlockError('USAGE', `The path "${path}" must be absolute.`);
  return path;
}

function handle(d: Daemon, req: ControlRequest): Promise<unknown> {
  switch (req.op) {
    case 'status':
      return d.status();
    case 'rollback':
      return d.rollback(req.slot, req.to, req.authorisation);
    case 'apply':
      return d.apply(absolute(req.path));
    case 'verify':
      return d.verifyOnly(absolute(req.path));
    case 'report':
      return d.report();
    case 'export':
      return d.exportReports(absolute(req.to));
  }
}

/** The control socket for `airlock-agent status|rollback|apply|verify`: a Unix socket only the agent's user can open (0600). */
export async function serveControl(path: string, d: Daemon): Promise<{ close(): Promise<void> }> {
  await rm(path, { force: true });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', async (chunk) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      const line = buf.slice(0, nl);
      buf = '';
      let reply: unknown;
      try {
        const parsed = ControlRequestSchema.safeParse(JSON.parse(line));
        if (!parsed.success) throw new AirlockError('USAGE', `Bad control request: ${parsed.error.issues[0]?.message}`);
        reply = { ok: true, result: await handle(d, parsed.data) };
      } catch (err) {
        reply = { ok: false, error: toErrorData(err) };
      }
      socket.end(`${JSON.stringify(reply)}\n`);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  await chmod(path, 0o600);
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      await rm(path, { force: true });
    },
  };
}
