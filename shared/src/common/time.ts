import { z } from 'zod';

/** Timestamps in signed documents: ISO 8601 UTC with a Z, e.g. 2026-11-26T19:00:00Z. */
export const TimestampSchema = z.iso.datetime({ offset: false });

export const parseTimestamp = (iso: string): number => Date.parse(iso);

/** A time in the form signed documents use: UTC, whole seconds. */
export const toTimestamp = (at: number | Date = Date.now()): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The time a verifier trusts: the wall clock, but never earlier than the highest signed time it has
 * already seen, so that setting the clock back cannot revive an expired bundle or root.
 */
export const trustedNow = (clockMs: number, highWaterMs: number): number => Math.max(clockMs, highWaterMs);
