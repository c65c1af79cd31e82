import { z } from 'zod';
import { EnvelopeSchema, ReceiptSchema, StatusSchema } from '@airlock/shared/common';

/**
 * The control socket's operations: one JSON line in, one JSON line out. Each operation has its request
 * and its result schema here, so that the server, the handlers and the CLI share one definition.
 */
export const CONTROL = {
  status: { request: z.strictObject({ op: z.literal('status') }), result: StatusSchema },
  rollback: {
    request: z.strictObject({ op: z.literal('rollback'), slot: z.string(), to: z.string().optional(), authorisation: EnvelopeSchema.optional() }),
    result: z.strictObject({
      from: z.string().nullable(),
      to: z.string(),
      warm: z.boolean(),
      ms: z.number(),
      belowFloor: z.boolean(),
      authorisation: z.string().optional(),
      issuedBy: z.string().optional(),
      reason: z.string().optional(),
    }),
  },
  apply: { request: z.strictObject({ op: z.literal('apply'), path: z.string() }), result: ReceiptSchema },
  verify: {
    request: z.strictObject({ op: z.literal('verify'), path: z.string() }),
    result: z.strictObject({ bundleId: z.string(), channel: z.string(), sequence: z.int(), slots: z.array(z.string()) }),
  },
  report: { request: z.strictObject({ op: z.literal('report') }), result: z.array(z.string()) },
  export: { request: z.strictObject({ op: z.literal('export'), to: z.string() }), result: z.array(z.string()) },
  /** the same as SIGTERM: drain, stop the runtimes, exit */
  shutdown: { request: z.strictObject({ op: z.literal('shutdown') }), result: z.strictObject({ stopping: z.literal(true) }) },
} as const;

export type ControlOp = keyof typeof CONTROL;
export type ControlRequestOf<O extends ControlOp> = z.infer<(typeof CONTROL)[O]['request']>;
export type ControlResultOf<O extends ControlOp> = z.infer<(typeof CONTROL)[O]['result']>;

export const ControlRequestSchema = z.discriminatedUnion('op', [
  CONTROL.status.request,
  CONTROL.rollback.request,
  CONTROL.apply.request,
  CONTROL.verify.request,
  CONTROL.report.request,
  CONTROL.export.request,
  CONTROL.shutdown.request,
]);
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

/** What the daemon offers the control socket: one method per operation, paths already absolute. */
export type ControlHandlers = { [O in ControlOp]: (req: ControlRequestOf<O>) => Promise<z.input<(typeof CONTROL)[O]['result']>> };
