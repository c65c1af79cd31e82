import { Transform } from 'node:stream';

const KEEP = 16 * 1024;

/** Passes bytes through, counting them and keeping the last 16 KiB for end-of-archive checks. */
export class TarTail extends Transform {
  total = 0;
  private chunks: Buffer[] = [];
  private kept = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.total += chunk.length;
    this.chunks.push(chunk.length > KEEP ? chunk.subarray(chunk.length - KEEP) : chunk);
    this.kept += Math.min(chunk.length, KEEP);
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= KEEP) this.kept -= this.chunks.shift()!.length;
    done(null, chunk);
  }

  /** The bytes from absolute offset `from` to the end, or null if they are no longer kept. */
  bytesFrom(from: number): Buffer | null {
    const start = this.total - this.kept;
    if (from < start) return null;
    return Buffer.concat(this.chunks).subarray(from - start);
  }
}
