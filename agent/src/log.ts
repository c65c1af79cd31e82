/** Structured logs: one JSON line per event, with the module that wrote it. Never keys or secret values. */
export type Logger = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export function logger(module: string, sink: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return (level, msg, fields = {}) => sink(`${JSON.stringify({ t: new Date().toISOString(), level, module, msg, ...fields })}\n`);
}
