import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Extract } from 'tar-stream';
import {
  AirlockError,
  BUNDLE_LIMITS,
  BUNDLE_PAYLOAD_TYPE,
  digestOfHex,
  isAirlockError,
  parseBundleManifest,
  parseEnvelope,
  parseTimestamp,
  toTimestamp,
  roleKeys,
  trustedNow,
  verifyEnvelope,
  walkRootChain,
  type BundleManifest,
  type Envelope,
  type Root,
} from '@airlock/shared/common';
import { openBundleFile } from './bundle-file.js';
import { BLOB_ENTRY, MANIFEST_ENTRY, paxLength, ROOT_ENTRY } from './bundle-layout.js';
import { ContentStore, type BlobRef } from './content-store.js';
import { TarTail } from './tar-tail.js';

/** An archive entry as tar-stream yields it. */
type Source = Extract extends AsyncIterable<infer S> ? S : never;

export interface BundleTrust {
  /** the newest root this verifier already trusts */
  root: Root;
  /** the highest signed time seen so far (ms); the clock never counts as earlier than this */
  highWaterMs: number;
  /** wall clock (ms); defaults to Date.now() */
  nowMs?: number;
  /** how far beyond the wall clock `issuedAt` may be (ms); a bundle dated later is refused. Default 24 h. */
  maxSkewMs?: number;
}

export const DEFAULT_MAX_SKEW_MS = 24 * 3600 * 1000;

export interface VerifyBundleOptions {
  trust: BundleTrust;
  /** a directory this call creates and owns; removed again on any failure */
  stagingDir: string;
  /**
   * The holder's own rules (sequence, targeting, floors, approvals), run after signatures and expiry
   * and before any blob is read. Throw an AirlockError to refuse.
   */
  accept?: (manifest: BundleManifest, root: Root) => void | Promise<void>;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface VerifiedBundle {
  manifest: BundleManifest;
  manifestEnvelope: Envelope;
  /** roots newer than the trusted one, in order, with the envelopes to persist */
  newRoots: { root: Root; envelope: Envelope }[];
  /** the newest root after walking the chain */
  root: Root;
  staging: ContentStore;
  blobs: BlobRef[];
  /** removes the staging directory; call after adopting the blobs you keep */
  discard(): Promise<void>;
}

const BLOCK = 512;
const END_OF_ARCHIVE = 2 * BLOCK;
/** GNU tar pads archives to 20-block records; more zero padding than that is not ours. */
const MAX_ZERO_TAIL = 20 * BLOCK;
const roundUp = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

function unsafePath(name: string): boolean {
  return name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[A-Za-z]:/.test(name) || name.split('/').some((s) => s === '..' || s === '.' || s === '');
}

/** One streaming pass over a bundle: fail closed, one code per failure, in DESIGN §5 order. */
export async function verifyBundle(source: Readable, opts: VerifyBundleOptions): Promise<VerifiedBundle> {
  await mkdir(opts.stagingDir, { recursive: true });
  if ((await readdir(opts.stagingDir)).length > 0) {
    throw new AirlockError('INVALID_INPUT', `The staging directory ${opts.stagingDir} is not empty.`);
  }
  const discard = () => rm(opts.stagingDir, { recursive: true, force: true });
  const staging = await ContentStore.open(opts.stagingDir).catch(async (err: unknown) => {
    await discard();
    throw err;
  });
  const tail = new TarTail();
  const extract = tarExtract();
  // tar-stream drops entries emitted while nobody iterates: take the iterator before bytes flow.
  const entries = extract[Symbol.asyncIterator]();
  const feeding = pipeline(source, tail, extract);
  feeding.catch(() => undefined);
  const state = { inEntry: false, lastEnd: 0 };
  try {
    const finish = async () => {
      await feeding.catch((err: unknown) => {
        throw classify(err, state, tail);
      });
      checkEnd(state, tail);
    };
    const result = await readEntries({ [Symbol.asyncIterator]: () => entries }, staging, state, opts, finish);
    return { ...result, discard };
  } catch (err) {
    source.destroy();
    extract.destroy();
    await discard();
    throw classify(err, state, tail);
  }
}

/** Verifies a bundle file: a regular file only, read once, with a timeout on every read (see openBundleFile). */
export async function verifyBundleFile(path: string, opts: VerifyBundleOptions & { readTimeoutMs?: number }): Promise<VerifiedBundle> {
  const source = await openBundleFile(path, opts.readTimeoutMs);
  try {
    return await verifyBundle(source, opts);
  } catch (err) {
    source.destroy();
    throw err;
  }
}

async function readEntries(
  extract: AsyncIterable<Source>,
  staging: ContentStore,
  state: { inEntry: boolean; lastEnd: number },
  opts: VerifyBundleOptions,
  finish: () => Promise<void>,
) {
  let phase: 'manifest' | 'roots' | 'blobs' = 'manifest';
  let manifestEnvelope: Envelope | undefined;
  const rootEnvelopes = new Map<number, Envelope>();
  const seen = new Set<string>();
  const blobs: BlobRef[] = [];
  let bytesDone = 0;

  const establishTrust = async () => {
    if (!manifestEnvelope) throw new AirlockError('BUNDLE_MANIFEST_NOT_FIRST', 'The bundle has no manifest.');
    const clock = opts.trust.nowMs ?? Date.now();
    const now = trustedNow(clock, opts.trust.highWaterMs);
    const chain = walkRootChain(opts.trust.root, rootEnvelopes, now);
    const root = chain.at(-1) ?? opts.trust.root;
    const { payload } = verifyEnvelope(manifestEnvelope, BUNDLE_PAYLOAD_TYPE, roleKeys(root, 'release'), 'bundle manifest');
    const manifest = parseBundleManifest(payload);
    if (parseTimestamp(manifest.expiresAt) <= now) {
      throw new AirlockError('BUNDLE_EXPIRED', `The bundle expired at ${manifest.expiresAt}. Export a fresh bundle from the console.`);
    }
    // A bundle dated ahead of this clock would drag the signed-time high-water mark forward and make
    // honest bundles look expired: refuse it rather than believe it.
    if (parseTimestamp(manifest.issuedAt) > clock + (opts.trust.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
      throw new AirlockError('BUNDLE_FROM_FUTURE', `The bundle is dated ${manifest.issuedAt}, ahead of this host's clock (${toTimestamp(clock)}) by more than the allowed skew. Check the clocks of this host and of the registry.`);
    }
    await opts.accept?.(manifest, root);
    const included = new Map(manifest.blobs.filter((b) => b.included).map((b) => [b.digest, b]));
    const newRoots = chain.map((r) => ({ root: r, envelope: rootEnvelopes.get(r.version)! }));
    return { manifest, root, newRoots, included, bytesTotal: [...included.values()].reduce((n, b) => n + b.size, 0) };
  };

  let trusted: Awaited<ReturnType<typeof establishTrust>> | undefined;
  for await (const entry of extract) {
    const header = entry.header;
    const pax = header.pax as Record<string, string> | null | undefined;
    const expectedGap = pax ? BLOCK + roundUp(paxLength(pax)) : 0;
    if (entry.offset - state.lastEnd !== expectedGap) {
      throw new AirlockError(
        entry.offset - state.lastEnd >= END_OF_ARCHIVE && !pax ? 'BUNDLE_TRAILING_DATA' : 'BUNDLE_MALFORMED',
        `Unexpected bytes before the entry "${header.name}" at offset ${entry.offset}.`,
      );
    }
    if (pax && Object.keys(pax).some((k) => k !== 'path' && k !== 'size')) {
      throw new AirlockError('BUNDLE_MALFORMED', `The entry "${header.name}" carries pax records this format does not use.`);
    }
    const name = header.name;
    if (unsafePath(name)) throw new AirlockError('BUNDLE_ENTRY_UNSAFE_PATH', `The entry "${name}" has an absolute or traversing path.`);
    if (header.type !== 'file') throw new AirlockError('BUNDLE_ENTRY_TYPE', `The entry "${name}" is a ${header.type}; bundles hold regular files only.`);
    const rootMatch = ROOT_ENTRY.exec(name);
    const blobMatch = BLOB_ENTRY.exec(name);
    if (name !== MANIFEST_ENTRY && !rootMatch && !blobMatch) {
      throw new AirlockError('BUNDLE_ENTRY_UNKNOWN', `The entry "${name}" is not part of the bundle format.`);
    }
    if (seen.has(name)) throw new AirlockError('BUNDLE_ENTRY_DUPLICATE', `The entry "${name}" appears twice.`);
    seen.add(name);
    state.inEntry = true;

    if (phase === 'manifest') {
      if (name !== MANIFEST_ENTRY) throw new AirlockError('BUNDLE_MANIFEST_NOT_FIRST', `The first entry is "${name}"; a bundle starts with ${MANIFEST_ENTRY}.`);
      if (header.size > BUNDLE_LIMITS.manifestBytes) {
        throw new AirlockError('BUNDLE_TOO_LARGE', `The manifest is ${header.size} bytes; the limit is ${BUNDLE_LIMITS.manifestBytes}.`);
      }
      manifestEnvelope = parseEnvelopeAs(await readAll(entry), 'BUNDLE_MANIFEST_INVALID', 'bundle manifest');
      phase = 'roots';
    } else if (rootMatch) {
      if (phase !== 'roots') throw new AirlockError('BUNDLE_ENTRY_ORDER', `The root "${name}" comes after blobs; roots precede blobs.`);
      if (rootEnvelopes.size >= BUNDLE_LIMITS.roots) throw new AirlockError('BUNDLE_TOO_LARGE', `The bundle carries more than ${BUNDLE_LIMITS.roots} roots.`);
      if (header.size > BUNDLE_LIMITS.rootBytes) {
        throw new AirlockError('BUNDLE_TOO_LARGE', `The root "${name}" is ${header.size} bytes; the limit is ${BUNDLE_LIMITS.rootBytes}.`);
      }
      rootEnvelopes.set(Number(rootMatch[1]), parseEnvelopeAs(await readAll(entry), 'ROOT_INVALID', name));
    } else {
      // Not the manifest (seen once already) and not a root: by elimination a blob entry.
      trusted ??= await establishTrust();
      phase = 'blobs';
      const digest = digestOfHex(blobMatch![1]!);
      const declared = trusted.included.get(digest);
      if (!declared) throw new AirlockError('BUNDLE_BLOB_UNLISTED', `The bundle carries blob ${digest}, which its manifest does not include.`);
      if (header.size !== declared.size) {
        throw new AirlockError('BLOB_SIZE_MISMATCH', `Blob ${digest} is ${header.size} bytes in the archive; the manifest declares ${declared.size}.`);
      }
      const total = trusted.bytesTotal;
      const onBytes = (n: number) => opts.onProgress?.((bytesDone += n), total);
      const stored = await staging.put(entry as unknown as AsyncIterable<Uint8Array>, { expect: declared, onBytes });
      blobs.push({ digest: stored.digest, size: stored.size });
    }
    state.inEntry = false;
    state.lastEnd = entry.offset + BLOCK + roundUp(header.size);
  }

  await finish();
  trusted ??= await establishTrust();
  if (blobs.length < trusted.included.size) {
    const have = new Set(blobs.map((b) => b.digest));
    const missing = [...trusted.included.keys()].filter((d) => !have.has(d));
    throw new AirlockError('BUNDLE_BLOB_MISSING', `The bundle lacks ${missing.length} blob(s) its manifest includes, first ${missing[0]}.`);
  }
  const { manifest, root, newRoots } = trusted;
  return { manifest, root, newRoots, manifestEnvelope: manifestEnvelope!, staging, blobs };
}

function parseEnvelopeAs(bytes: Uint8Array, code: 'BUNDLE_MANIFEST_INVALID' | 'ROOT_INVALID', what: string): Envelope {
  try {
    return parseEnvelope(bytes, what);
  } catch (err) {
    throw isAirlockError(err) ? new AirlockError(code, err.message) : err;
  }
}

async function readAll(entry: Source): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** After the last entry: exactly an end-of-archive marker, optionally zero-padded to a record. */
function checkEnd(state: { lastEnd: number }, tail: TarTail): void {
  const rest = tail.total - state.lastEnd;
  if (rest < END_OF_ARCHIVE) throw new AirlockError('BUNDLE_TRUNCATED', 'The bundle ends without an end-of-archive marker: it was cut short.');
  const bytes = tail.bytesFrom(state.lastEnd);
  if (rest > MAX_ZERO_TAIL || !bytes || bytes.some((b) => b !== 0)) {
    throw new AirlockError('BUNDLE_TRAILING_DATA', 'The bundle has data after its end-of-archive marker.');
  }
}

/**
 * Maps tar-stream and I/O failures onto the closed set of codes. tar-stream reports format problems
 * as plain Errors; any other error type is a defect and is passed on rather than blamed on the media.
 */
function classify(err: unknown, state: { inEntry: boolean; lastEnd: number }, tail: TarTail): unknown {
  if (isAirlockError(err) || !(err instanceof Error)) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code === 'string' && e.syscall) return new AirlockError('IO_ERROR', `Reading the bundle failed: ${e.message}`);
  if (err.constructor !== Error) return err;
  const afterEnd = !state.inEntry && tail.total - state.lastEnd >= END_OF_ARCHIVE && tail.bytesFrom(state.lastEnd)?.subarray(0, END_OF_ARCHIVE).every((b) => b === 0);
  if (afterEnd) return new AirlockError('BUNDLE_TRAILING_DATA', 'The bundle has data after its end-of-archive marker.');
  if (/Unexpected end of data/.test(e.message)) {
    return new AirlockError('BUNDLE_TRUNCATED', 'The bundle ends in the middle of an entry: it was cut short.');
  }
  return new AirlockError('BUNDLE_MALFORMED', `The bundle is not a well-formed tar archive (${e.message}).`);
}
