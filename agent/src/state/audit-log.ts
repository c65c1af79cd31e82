import { open, readdir, readFile, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, fromBase64, pae, sha256Hex, signDetached, toBase64, toTimestamp, utf8Encode, verifyDetached, type KeyPair } from '@airlock/shared/common';

const EventSchema = z.strictObject({
  seq: z.int().min(1),
  at: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string(),
  sig: z.string(),
});
export type HostAuditEvent = z.infer<typeof EventSchema>;

const TYPE = 'application/vnd.airlock.host-audit+json';
const GENESIS = '0'.repeat(64);
/** The first event of a segment started after damage: it names the last good head of the chain before it. */
export const SEGMENT_ACTION = 'audit.segment';

export interface AuditDamage {
  file: string;
  /** 1-based line of the first event that does not verify, or null when events are missing at the end */
  line: number | null;
  reason: string;
  lastGood: { seq: number; hash: string } | null;
}

/** Segment files, oldest first: audit.jsonl, then audit.2.jsonl, audit.3.jsonl… each begun after damage. */
async function segments(first: string): Promise<string[]> {
  const dir = dirname(first);
  const stem = basename(first, '.jsonl');
  const re = new RegExp(`^${stem}\\.([0-9]+)\\.jsonl$`);
  const numbered = (await readdir(dir).catch(() => [] as string[])).flatMap((n) => (re.test(n) ? [Number(re.exec(n)![1])] : [])).sort((a, b) => a - b);
  return [first, ...numbered.map((n) => join(dir, `${stem}.${n}.jsonl`))];
}

const bodyBytes = (e: Omit<HostAuditEvent, 'hash' | 'sig'>) => utf8Encode(canonicalJson({ seq: e.seq, at: e.at, action: e.action, detail: e.detail, prev: e.prev }));

const signedByHost = (e: HostAuditEvent, publicKey: Uint8Array) => sha256Hex(bodyBytes(e)) === e.hash && verifyDetached(pae(TYPE, bodyBytes(e)), fromBase64(e.sig), publicKey);

/**
 * Every event in every segment whose own hash and host signature hold, whether or not the chain
 * around it does: what the host provably wrote, even in a damaged log. Used as a witness (the highest
 * trust it recorded, the resets it spent), never as the chain.
 */
export async function signedEvents(first: string, publicKey: Uint8Array): Promise<HostAuditEvent[]> {
  const out: HostAuditEvent[] = [];
  for (const file of await segments(first)) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = EventSchema.parse(JSON.parse(line));
        if (signedByHost(e, publicKey)) out.push(e);
      } catch {
        // not an event: damage the chain check reports; nothing to witness here
      }
    }
  }
  return out;
}

/**
 * Reads one segment and checks every line: schema, sequence, link to the previous hash, the hash itself
 * and the host's signature. A torn last line (power loss mid-append, never fsynced) is cut off; any
 * other bad line is damage, and nothing after it is trusted.
 */
export async function readSegment(path: string, publicKey: Uint8Array): Promise<{ events: HostAuditEvent[]; damage: AuditDamage | null; highestSeq: number }> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (text === null) return { events: [], damage: null, highestSeq: 0 };
  const complete = text.endsWith('\n') || text === '' ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete.length !== text.length) await truncate(path, Buffer.byteLength(complete));
  const events: HostAuditEvent[] = [];
  let damage: AuditDamage | null = null;
  let highestSeq = 0;
  const lines = complete.split('\n').slice(0, -1);
  for (const [i, line] of lines.entries()) {
    let parsed: HostAuditEvent | null = null;
    try {
      parsed = EventSchema.parse(JSON.parse(line));
      highestSeq = Math.max(highestSeq, parsed.seq);
    } catch {
      parsed = null;
    }
    if (damage) continue;
    const last = events.at(-1);
    const reason = !parsed
      ? 'the line is not an audit event'
      : last && parsed.seq !== last.seq + 1
        ? `event ${parsed.seq} follows event ${last.seq}`
        : last && parsed.prev !== last.hash
          ? `event ${parsed.seq} does not link to event ${last.seq}`
          : !last && parsed.action !== SEGMENT_ACTION && (parsed.seq !== 1 || parsed.prev !== GENESIS)
            ? `the first event is #${parsed.seq}, not the start of a chain`
            : !signedByHost(parsed, publicKey)
              ? `event ${parsed.seq} does not match its hash or is not signed by this host's key`
              : null;
    if (reason) damage = { file: path, line: i + 1, reason, lastGood: last ? { seq: last.seq, hash: last.hash } : null };
    else events.push(parsed!);
  }
  return { events, damage, highestSeq };
}

/**
 * The host's own append-only log: one JSON line per event, hash-chained and signed by the host key,
 * verified whole at start. On damage the agent keeps serving but never appends to the broken chain: it
 * starts a new segment whose first event names the damage and the last good head, and the damage stays
 * an alert (AUDIT_DAMAGED) for as long as that segment is the newest.
 */
export class HostAuditLog {
  private last: { seq: number; hash: string } | null = null;
  private events: HostAuditEvent[] = [];
  private path: string;
  damage: AuditDamage | null = null;

  private constructor(
    first: string,
    private readonly keys: KeyPair,
  ) {
    this.path = first;
  }

  /** `knownSeq`: the sequence the trust counters last saw; a log that ends before it lost events. */
  static async open(first: string, keys: KeyPair, knownSeq: number): Promise<HostAuditLog> {
    const log = new HostAuditLog(first, keys);
    const files = await segments(first);
    const newest = files.at(-1)!;
    const read = await readSegment(newest, keys.publicKey);
    const { events, highestSeq } = read;
    let damage = read.damage;
    // A later segment exists only because of damage, so it opens by naming it; one that does not was put there.
    if (!damage && newest !== first && events.length > 0 && events[0]!.action !== SEGMENT_ACTION) {
      damage = { file: newest, line: 1, reason: 'a later segment does not open with the damage it follows', lastGood: null };
    }
    log.path = newest;
    log.events = events.slice(-1000);
    const tip = events.at(-1);
    log.last = tip ? { seq: tip.seq, hash: tip.hash } : null;
    const opening = events[0];
    if (opening?.action === SEGMENT_ACTION) log.damage = opening.detail.damage as AuditDamage;
    const lost = !damage && (tip?.seq ?? 0) < knownSeq ? { file: newest, line: null, reason: `the log ends at event ${tip?.seq ?? 0} but the trust counters saw event ${knownSeq}: events were deleted`, lastGood: log.last } : null;
    const found = damage ?? lost;
    if (found) {
      log.path = join(dirname(first), `${basename(first, '.jsonl')}.${files.length + 1}.jsonl`);
      log.damage = found;
      // Sequence numbers used by the damaged segment are never reused, so no two events share one.
      log.last = { seq: Math.max(highestSeq, knownSeq, found.lastGood?.seq ?? 0), hash: found.lastGood?.hash ?? GENESIS };
      log.events = [];
      await log.append(SEGMENT_ACTION, { damage: found });
    }
    return log;
  }

  get file(): string {
    return this.path;
  }

  get seq(): number {
    return this.last?.seq ?? 0;
  }

  async append(action: string, detail: Record<string, unknown>): Promise<HostAuditEvent> {
    const body = { seq: (this.last?.seq ?? 0) + 1, at: toTimestamp(), action, detail, prev: this.last?.hash ?? GENESIS };
    const bytes = bodyBytes(body);
    const event = { ...body, hash: sha256Hex(bytes), sig: toBase64(signDetached(pae(TYPE, bytes), this.keys.secretKey)) };
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.write(`${JSON.stringify(event)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.last = { seq: event.seq, hash: event.hash };
    this.events.push(event);
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    return event;
  }

  /** The newest events after `afterSeq`, for the audit tail in reports. */
  tail(afterSeq: number, max = 500): HostAuditEvent[] {
    return this.events.filter((e) => e.seq > afterSeq).slice(-max);
  }
}

/** Every segment, in order, for `recover`: the events that verify and whether the whole chain does. */
export async function readChain(first: string, publicKey: Uint8Array): Promise<{ events: HostAuditEvent[]; damage: AuditDamage | null }> {
  const all: HostAuditEvent[] = [];
  let damage: AuditDamage | null = null;
  for (const file of await segments(first)) {
    const seg = await readSegment(file, publicKey);
    all.push(...seg.events);
    damage ??= seg.damage ?? (seg.events[0]?.action === SEGMENT_ACTION ? (seg.events[0].detail.damage as AuditDamage) : null);
  }
  return { events: all, damage };
}
