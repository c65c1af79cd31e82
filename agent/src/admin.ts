import { createServer } from 'node:http';
import type { HostStatus } from '@airlock/shared/common';
import type { AgentMetrics } from './metrics.js';

export interface AdminSources {
  hostId: string;
  readiness(): { notReady: string[]; alerts: HostStatus['alerts'] };
  metrics: AgentMetrics;
}

/**
 * The loopback admin endpoint: /healthz (the agent runs), /readyz (every slot serves; alerts are
 * listed but do not make a serving host unready) and /metrics (Prometheus text).
 */
export function serveAdmin(port: number, src: AdminSources): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return json(200, { ok: true, hostId: src.hostId });
    if (req.url === '/readyz') {
      const { notReady, alerts } = src.readiness();
      return json(notReady.length ? 503 : 200, { ready: notReady.length === 0, notReady, alerts });
    }
    if (req.url === '/metrics') {
      void src.metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': src.metrics.contentType });
          res.end(text);
        },
        (err: unknown) => json(500, { error: String(err) }),
      );
      return;
    }
    json(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    );
  });
}
