import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: headers that describe one connection, not the message, and that a proxy must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The end-to-end headers of a message: without hop-by-hop ones, nor any the Connection header names. */
export function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = headers.connection?.toLowerCase().split(',').map((s) => s.trim());
  const out: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (!HOP_BY_HOP.has(name) && !named?.includes(name)) out[name] = headers[name];
  }
  return out;
}
