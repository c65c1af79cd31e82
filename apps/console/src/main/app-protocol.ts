import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_TYPES, SECURITY_HEADERS } from '../web/security.js';
import { APP_HOST, APP_SCHEME } from './app-origin.js';
import type { ElectronApi } from './electron-api.js';

/** Before `ready`: `app://` behaves like a secure, standard origin (fetch, relative URLs, its own storage). */
export function registerAppScheme(protocol: ElectronApi['protocol']): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * Serves the renderer bundle on `app://console/…` with the same CSP and headers as the web console;
 * anything outside the bundle's folder, or under another host, is not found.
 */
export function serveApp(protocol: ElectronApi['protocol'], rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const notFound = () => new Response('not found', { status: 404, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain' } });
    if (url.host !== APP_HOST) return notFound();
    let path: string;
    try {
      path = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    } catch {
      return notFound();
    }
    const file = normalize(join(rendererDir, path));
    if (!file.startsWith(rendererDir + sep)) return notFound();
    const data = await readFile(file).catch(() => null);
    if (!data) return notFound();
    return new Response(new Uint8Array(data), { headers: { ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' } });
  });
}
