import { connect } from 'node:net';
import { AirlockError, type ErrorData } from '@airlock/shared/common';
import { CONTROL, type ControlOp, type ControlRequestOf, type ControlResultOf } from './protocol.js';

/** Sends one request to a running agent's control socket and returns its result, checked against the operation's schema (or throws its error). */
export function callAgent<O extends ControlOp>(socketPath: string, req: ControlRequestOf<O> & { op: O }, timeoutMs = 600_000): Promise<ControlResultOf<O>> {
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
      let reply: { ok: boolean; result?: unknown; error?: ErrorData };
      try {
        reply = JSON.parse(buf) as typeof reply;
      } catch {
        return reject(new AirlockError('IO_ERROR', 'The agent sent an unreadable reply.'));
      }
      if (!reply.ok) return reject(new AirlockError(reply.error!.code, reply.error!.message));
      const parsed = CONTROL[req.op].result.safeParse(reply.result);
      if (!parsed.success) return reject(new AirlockError('IO_ERROR', `The agent's answer to ${req.op} does not match this CLI's protocol (${parsed.error.issues[0]?.message}); are the CLI and the agent the same version?`));
      resolve(parsed.data as ControlResultOf<O>);
    });
  });
}

