import { arch, cpus, platform, release, totalmem } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ENROLLMENT_PAYLOAD_TYPE, ENROLLMENT_SCHEMA, EnrollmentSchema, signEnvelope, toBase64, toTimestamp, utf8Encode } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import type { Identity } from './state/identity.js';
import { AGENT_VERSION } from './version.js';

/** A signed request to join the fleet: who this host is, its public key, labels, facts and the slots it runs. */
export async function writeEnrollment(identity: Identity, outDir: string, slots?: string[]): Promise<string> {
  const enrollment = EnrollmentSchema.parse({
    schema: ENROLLMENT_SCHEMA,
    hostId: identity.hostId,
    publicKey: toBase64(identity.keyPair.publicKey),
    labels: identity.labels,
    facts: { os: `${platform()} ${release()}`, arch: arch(), cpus: Math.max(1, cpus().length), memoryBytes: totalmem(), node: process.version, agent: AGENT_VERSION, ...(slots ? { slots } : {}) },
    at: toTimestamp(),
  });
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${identity.hostId}.enrollment.json`);
  await writeFileAtomic(path, `${JSON.stringify(signEnvelope(ENROLLMENT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(enrollment)), [identity.signer]))}\n`);
  return path;
}
