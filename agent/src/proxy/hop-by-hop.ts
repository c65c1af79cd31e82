/** RFC 9110 §7.6.1: headers that describe one connection, not the message, and that a proxy must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The end-to-end headers of a message, as a flat [name, value, …] list like Node's `rawHeaders`:
 * without hop-by-hop ones, nor any the Connection header names, nor those in `drop`. Kept as a list so
 * that repeated headers (set-cookie) and their order pass through unchanged, without building objects.
 */
export function endToEnd(raw: readonly string[], drop?: string): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') (named ??= []).push(...raw[i + 1]!.toLowerCase().split(',').map((s) => s.trim()));
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || name === drop || named?.includes(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
