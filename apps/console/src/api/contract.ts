import type { z } from 'zod';
import type { CallSpec } from './call.js';
import { driftCalls } from './calls/drift.js';
import { environmentCalls } from './calls/environments.js';
import { fleetCalls } from './calls/fleet.js';
import { modelCalls } from './calls/models.js';
import { oversightCalls } from './calls/oversight.js';
import { promotionCalls } from './calls/promotions.js';
import { sessionCalls } from './calls/session.js';

/**
 * Every call the console offers, one schema for its input and one for its output: the CLI, the
 * Electron window and the loopback web UI all go through these, and nothing else. `registry.init`
 * is answered by the registry process only while there is no registry (the console's first run);
 * the CLI's `airlock init` runs the same service directly. The offline key and bundle commands
 * (`keys init`, `bundle create|verify`, which touch files, not a registry) are the CLI's alone.
 */
export const CONTRACT = {
  ...sessionCalls,
  ...modelCalls,
  ...environmentCalls,
  ...promotionCalls,
  ...fleetCalls,
  ...oversightCalls,
  ...driftCalls,
} as const satisfies Record<string, CallSpec>;

export type Contract = typeof CONTRACT;
export type CallName = keyof Contract;
export type Input<N extends CallName> = z.input<Contract[N]['input']>;
export type ParsedInput<N extends CallName> = z.output<Contract[N]['input']>;
export type Output<N extends CallName> = z.output<Contract[N]['output']>;

export const CALL_NAMES = Object.keys(CONTRACT) as CallName[];
export const isCallName = (name: string): name is CallName => Object.hasOwn(CONTRACT, name);
