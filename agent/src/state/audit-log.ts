import { open, readFile } from 'node:fs/promises';
import { canonicalJson, pae, sha256Hex, signDetached, toBase64, toTimestamp, utf8Encode, type Signer } from '@airlock/shared/common';

export interface HostAuditEvent {
  seq: number;
  at: string;
  action: string;
  detail: Record<string, unknown>;
  prev: string;
  hash: string;
  sig: string;
}

const TYPE = 'application/vnd.airlock.host-audit+json';
const GENESIS = '0'.repeat(64);

/** The host's own append-only log: one JSON line per event, hash-chained and signed by the host key. */
export class HostAuditLog {
  private last: HostAuditEvent | undefined;
  private events: HostAuditEvent[] = [];

  private constructor(
    private readonly path: string,
    private readonly signer: Signer,
  ) {}

  static async open(path: string, signer: Signer): Promise<HostAuditLog> {
    const log = new HostAuditLog(path, signer);
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      // A torn last line (power loss mid-append) is dropped; every complete line was fsynced.
      if (!line.trim()) continue;
      try {
        log.events.push(JSON.parse(line) as HostAuditEvent);
      } catch {
        break;
      }
    }
    log.last = log.events.at(-1);
    return log;
  }

  async append(action: string, detail: Record<string, unknown>): Promise<HostAuditEvent> {
    const body = { seq: (this.last?.seq ?? 0) + 1, at: toTimestamp(), action, detail, prev: this.last?.hash ?? GENESIS };
    const bytes = utf8Encode(canonicalJson(body));
    const event = { ...body, hash: sha256Hex(bytes), sig: toBase64(signDetached(pae(TYPE, bytes), this.signer.secretKey)) };
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.write(`${JSON.stringify(event)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.last = event;
    this.events.push(event);
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    return event;
  }

  /** The newest events after `afterSeq`, for the audit tail in reports. */
  tail(afterSeq: number, max = 500): HostAuditEvent[] {
    return this.events.filter((e) => e.seq > afterSeq).slice(-max);
  }
}
