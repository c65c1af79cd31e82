import { connect } from 'node:net';
import { AirlockError, type ErrorData } from '@airlock/shared/common';
import type { ControlRequest } from './protocol.js';

/** Sends one request to a running agent's control socket and returns its result (or throws its error). */
export function callAgent<T = unknown>(socketPath: string, req: ControlRequest, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('data', (d) => (buf += d.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new AirlockError('AGENT_NOT_RUNNING', `No agent is listening on ${socketPath}: start it with \`airlock-agent run\`.`)
          : new AirlockError('IO_ERROR', `Talking to the agent failed: ${err.message}`),
      );
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(buf) as { ok: boolean; result?: T; error?: ErrorData };
        if (reply.ok) resolve(reply.result as T);
        else reject(new AirlockError(reply.error!.code, reply.error!.message));
      } catch {
        reject(new AirlockError('IO_ERROR', 'The agent sent an unreadable reply.'));
      }
    });
  });
}
