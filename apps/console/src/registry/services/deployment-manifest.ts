import { BundleManifestSchema, slotOf, toTimestamp, type BundleManifest, type Envelope, type VersionManifest } from '@airlock/shared/common';

export const BUNDLE_VALIDITY_DAYS = 30;

export interface DeploymentFacts {
  bundleId: string;
  /** the environment's name, which is also its channel */
  environment: string;
  sequence: number;
  issuedAt: string;
  /** hosts named by id; none: every host of the environment */
  hosts: string[];
  slot: string;
  version: { manifest: VersionManifest; number: number };
  config: Record<string, unknown>;
  secrets: string[];
  approvals: Envelope[];
  securityFloor: number;
}

/**
 * The manifest a deployment of these facts has, field for field: `deploy create` makes it, and
 * `verify` rebuilds it from a stored deployment's row and the chain, so that a manifest with any other
 * sequence, expiry, channel, blob or runtime than the row and its version give is found.
 */
export function deploymentManifest(f: DeploymentFacts): BundleManifest {
  return BundleManifestSchema.parse({
    schema: 'airlock.bundle/v1',
    bundleId: f.bundleId,
    channel: f.environment,
    sequence: f.sequence,
    issuedAt: f.issuedAt,
    expiresAt: toTimestamp(Date.parse(f.issuedAt) + BUNDLE_VALIDITY_DAYS * 86_400_000),
    targets: { environment: f.environment, hosts: f.hosts },
    slots: { [f.slot]: slotOf(f.version.manifest, f.version.number, { config: f.config, secrets: f.secrets, approvals: f.approvals, securityFloor: f.securityFloor }) },
    blobs: [...new Map(f.version.manifest.components.map((c) => [c.digest, { digest: c.digest, size: c.size, included: true }])).values()],
  });
}
