import { chmod, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { AirlockError, toErrorData } from '@airlock/shared/common';
import { ControlRequestSchema, type ControlHandlers, type ControlRequest } from './protocol.js';

/** Paths cross the socket absolute: the agent's working directory is not the caller's. */
function absolute(path: string): string {
  if (!isAbsolute(path)) throw new AirlockError('USAGE', `The path "${path}" must be absolute.`);
  return path;
}

function handle(h: ControlHandlers, req: ControlRequest): Promise<unknown> {
  switch (req.op) {
    case 'status':
      return h.status(req);
    case 'rollback':
      return h.rollback(req);
    case 'apply':
      return h.apply({ ...req, path: absolute(req.path) });
    case 'verify':
      return h.verify({ ...req, path: absolute(req.path) });
    case 'report':
      return h.report(req);
    case 'export':
      return h.export({ ...req, to: absolute(req.to) });
    case 'shutdown':
      return h.shutdown(req);
  }
}

/** The longest request line accepted: a rollback authorisation envelope is a few KiB. */
const MAX_LINE = 256 * 1024;

/**
 * The control socket for `airlock-agent status|rollback|apply|verify`: a Unix socket only the agent's
 * user can open (0600). Whatever a call does, its failure is an answer, never the daemon's end.
 */
export async function serveControl(path: string, handlers: ControlHandlers): Promise<{ close(): Promise<void> }> {
  await rm(path, { force: true });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    const answer = (reply: unknown) => {
      if (!socket.destroyed) socket.end(`${JSON.stringify(reply)}\n`);
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > MAX_LINE) {
          socket.off('data', onData);
          answer({ ok: false, error: { code: 'USAGE', message: `A control request is one JSON line of at most ${MAX_LINE} bytes.` } });
        }
        return;
      }
      socket.off('data', onData);
      const line = buf.slice(0, nl);
      buf = '';
      void (async () => {
        try {
          let json: unknown;
          try {
            json = JSON.parse(line);
          } catch {
            throw new AirlockError('USAGE', 'A control request is one JSON object on one line.');
          }
          const parsed = ControlRequestSchema.safeParse(json);
          if (!parsed.success) throw new AirlockError('USAGE', `Bad control request: ${parsed.error.issues[0]?.message}`);
          answer({ ok: true, result: await handle(handlers, parsed.data) });
        } catch (err) {
          answer({ ok: false, error: toErrorData(err) });
        }
      })();
    };
    socket.on('data', onData);
  });
  server.on('error', () => undefined);
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
