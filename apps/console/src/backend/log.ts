/** One structured line on stderr: what the console's processes log (never inputs, which may hold passphrases). */
export function logLine(entry: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}
