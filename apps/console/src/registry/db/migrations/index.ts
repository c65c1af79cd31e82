import { m0001 } from './0001-initial.js';

/** Numbered migrations, applied in order; PRAGMA user_version records how far a database is. */
export const MIGRATIONS: readonly { version: number; name: string; up: string }[] = [m0001];
