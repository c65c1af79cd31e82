import {
  ENROLLMENT_PAYLOAD_TYPE,
  generateKeyPair,
  REPORT_PAYLOAD_TYPE,
  signEnvelope,
  signerFromSecretKey,
  toBase64,
  utf8Encode,
  type HostStatus,
  type Receipt,
  type Signer,
} from '@airlock/shared/common';
import { iso } from './trust.js';

/** A host as the registry sees it: an id and a key that signs its enrollment and reports. */
export interface FakeHostKey {
  hostId: string;
  signer: Signer;
  publicKey: Uint8Array;
  seq: number;
}

export function hostKey(hostId: string): FakeHostKey {
  const pair = generateKeyPair();
  return { hostId, signer: signerFromSecretKey(pair.secretKey), publicKey: pair.publicKey, seq: 0 };
}

export function enrollment(h: FakeHostKey, signer: Signer = h.signer, slots = ['churn']): Uint8Array {
  const body = { schema: 'airlock.enrollment/v1', hostId: h.hostId, publicKey: toBase64(h.publicKey), labels: { site: 'test' }, facts: { os: 'linux', arch: 'x64', cpus: 2, memoryBytes: 1, node: process.version, agent: '0.1.0', slots }, at: iso(Date.now()) };
  return utf8Encode(JSON.stringify(signEnvelope(ENROLLMENT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(body)), [signer])));
}

export function report(h: FakeHostKey, kind: 'receipt', body: Receipt, signer?: Signer): string;
export function report(h: FakeHostKey, kind: 'status', body: HostStatus, signer?: Signer): string;
/** A signed report as the agent writes it; each gets the host's next sequence number. */
export function report(h: FakeHostKey, kind: 'receipt' | 'status', body: Receipt | HostStatus, signer: Signer = h.signer): string {
  const payload = { schema: 'airlock.report/v1', kind, hostId: h.hostId, seq: ++h.seq, at: iso(Date.now()), body };
  return JSON.stringify(signEnvelope(REPORT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(payload)), [signer]));
}

export function statusBody(slot: { slot: string; model: string; version: number; digest: string; healthy: boolean }, digests: string[]): HostStatus {
  return {
    slots: [{ ...slot, digest: slot.digest as `sha256:${string}`, release: `prod-1-${slot.model}-${slot.version}`, state: 'idle', releases: [], securityFloor: 0, requests: {}, latencyMs: { p50: null, p95: null, p99: null } }],
    rootVersion: 1,
    highWater: null,
    channels: {},
    blobs: { count: digests.length, digests: digests as `sha256:${string}`[] },
    uptimeSeconds: 1,
    auditHead: null,
    alerts: [],
    drift: [],
  };
}
