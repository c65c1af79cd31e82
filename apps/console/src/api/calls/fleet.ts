import { z } from 'zod';
import { HostResetSchema, RollbackAuthorisationSchema } from '@airlock/shared/common';
import { command, job, query } from '../call.js';
import { At, Id, Name, NoInput, SourcePath, TargetPath } from '../dto.js';
import { DEPLOYMENT_HOST_STATES } from '../enums.js';

/** A signed one-off for hosts (an authorisation to roll back below a floor, a host reset) lives at most this long. */
export const MAX_VALID_HOURS = 24 * 30;

export const HostSchema = z.strictObject({
  hostId: z.string(),
  environment: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  keyId: z.string(),
  enrolledAt: At,
  lastSeen: At.nullable(),
});

export const FleetRowSchema = z.strictObject({
  hostId: z.string(),
  environment: z.string().nullable(),
  slots: z.array(
    z.strictObject({
      slot: z.string(),
      version: z.string().nullable(),
      healthy: z.boolean(),
      /** the version active in the host's environment, when it differs from what the host serves */
      expected: z.string().nullable(),
      p95Ms: z.number().nullable(),
      errorRate: z.number().nullable(),
    }),
  ),
  health: z.enum(['healthy', 'degraded', 'unknown']),
  lastReport: At.nullable(),
  ageMinutes: z.number().nullable(),
  stale: z.boolean(),
  pendingDeployments: z.int(),
});

export const DeploymentSchema = z.strictObject({
  id: Id,
  version: z.string(),
  environment: z.string(),
  sequence: z.int(),
  bundleId: z.string(),
  createdAt: At,
  hosts: z.array(z.strictObject({ hostId: z.string(), state: z.enum(DEPLOYMENT_HOST_STATES), code: z.string().nullable(), serving: z.string().nullable() })),
});

export const ExportedSchema = z.strictObject({ deployment: Id, path: z.string(), bytes: z.int(), blobs: z.int(), omitted: z.int(), rootVersion: z.int() });

export const ReportsImportedSchema = z.strictObject({
  imported: z.int(),
  duplicates: z.int(),
  rejected: z.array(z.strictObject({ file: z.string(), code: z.string(), message: z.string() })),
  reviews: z.array(Id),
  audit: z.array(z.strictObject({ code: z.string(), message: z.string() })),
});

export const fleetCalls = {
  'hosts.list': query('Enrolled hosts, their environments and labels.', null, NoInput, z.array(HostSchema)),
  'hosts.enroll': command("Enroll a host from its signed enrollment request (a file the agent wrote); its key is checked against the request's own signature.", 'host.enroll', z.strictObject({ path: SourcePath }), z.strictObject({ hostId: z.string(), keyId: z.string(), created: z.boolean() })),
  'hosts.assign': command(
    'Put a host in an environment, with labels.',
    'host.enroll',
    z.strictObject({ host: Name, environment: Name, labels: z.record(z.string(), z.string()).optional() }),
    z.strictObject({ hostId: z.string(), environment: z.string(), labels: z.record(z.string(), z.string()) }),
  ),
  'hosts.revoke': command("Revoke a host's key: nothing it signs is accepted any more.", 'host.revoke', z.strictObject({ host: Name, reason: z.string().min(1).max(2000) }), z.strictObject({ hostId: z.string(), revoked: z.literal(true) })),
  'hosts.reset': command(
    "Sign a reset of a host's lost trust counters to what the registry issued and imported (channel sequences, slot floors, report sequence), and write it to a file.",
    'host.reset',
    z.strictObject({ host: Name, reason: z.string().min(1).max(2000), validHours: z.int().min(1).max(MAX_VALID_HOURS).default(24), out: TargetPath }),
    HostResetSchema.extend({ file: z.string() }),
  ),
  'hosts.history': query(
    "What a host reported over time, oldest first: per slot, version, health, latency and error share of each status report.",
    null,
    z.strictObject({ host: Name, limit: z.int().min(1).max(10_000).default(500) }),
    z.array(
      z.strictObject({
        seq: z.int(),
        at: At,
        slots: z.array(z.strictObject({ slot: z.string(), version: z.string().nullable(), healthy: z.boolean(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable(), p99Ms: z.number().nullable(), errorRate: z.number().nullable() })),
      }),
    ),
  ),
  'fleet.show': query(
    'One row per host: where it is, what it runs, whether it is healthy and how fresh that news is.',
    null,
    z.strictObject({ staleAfterMinutes: z.int().min(1).default(60) }),
    z.array(FleetRowSchema),
  ),
  'deployments.list': query('Deployments, newest first, with what each targeted host reported.', null, NoInput, z.array(DeploymentSchema)),
  'deployments.create': command(
    "Bind an environment's active version of a model, its resolved config and approvals to hosts, under the channel's next sequence.",
    'deploy.create',
    z.strictObject({ model: Name, environment: Name, hosts: z.array(Name).optional(), slot: Name.optional(), floor: z.int().min(0).optional() }),
    z.strictObject({
      id: Id,
      bundleId: z.string(),
      version: z.string(),
      environment: z.string(),
      channel: z.string(),
      sequence: z.int(),
      slot: z.string(),
      hosts: z.array(z.string()),
      approvals: z.int(),
      quorum: z.int(),
    }),
  ),
  'bundles.preview': query(
    "What a deployment's bundle would carry: every blob, or with a delta only those some target host lacks, and how many bytes.",
    null,
    z.strictObject({ deployment: Id, delta: z.enum(['auto', 'none']).default('auto') }),
    z.strictObject({ deployment: Id, blobs: z.int(), carried: z.int(), bytes: z.int(), bytesAll: z.int() }),
  ),
  'bundles.export': job(
    "Sign a deployment with the caller's release key and write its bundle to a folder (a USB stick, a share).",
    'bundle.export',
    z.strictObject({ deployment: Id, out: TargetPath, delta: z.enum(['auto', 'none']).default('auto'), mkdir: z.boolean().default(false) }),
    ExportedSchema,
  ),
  'depot.export': job(
    'Write every deployment as a full bundle plus index.json: a static mirror agents poll.',
    'bundle.export',
    z.strictObject({ out: TargetPath, mkdir: z.boolean().default(false) }),
    z.strictObject({ dir: z.string(), bundles: z.array(z.strictObject({ path: z.string(), size: z.int() })) }),
  ),
  'reports.import': job("Import hosts' signed reports from a folder; each is verified against its host's key, and importing twice changes nothing.", 'reports.import', z.strictObject({ dir: SourcePath }), ReportsImportedSchema),
  'rollbacks.authorise': command(
    'Sign a one-time permission for hosts to roll a slot back to a version below its security floor, and write it to a file.',
    'rollback.authorise',
    z.strictObject({
      version: z.string(),
      environment: Name.optional(),
      hosts: z.array(Name).optional(),
      slot: Name.optional(),
      reason: z.string().min(1).max(2000),
      validHours: z.int().min(1).max(MAX_VALID_HOURS).default(24),
      out: TargetPath,
    }),
    RollbackAuthorisationSchema.extend({ file: z.string() }),
  ),
  'rollbacks.cosign': command(
    "Add the caller's approver signature to a rollback authorisation, in place, for a root whose approver role needs more than one.",
    'rollback.authorise',
    z.strictObject({ path: SourcePath }),
    RollbackAuthorisationSchema.extend({ file: z.string(), signatures: z.int(), threshold: z.int() }),
  ),
};
