import { beforeEach, describe, expect, it } from 'vitest';
import { makeRegistry, type TestRegistry } from '../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../test/helpers/tmp.js';
import { verifyAuditChain } from './audit.js';
import { createEnvironment } from './services/environments.js';

const tempDir = useTempDirs();
let t: TestRegistry;

beforeEach(async () => {
  t = await makeRegistry(await tempDir());
  for (let i = 0; i < 5; i++) createEnvironment(t.reg, t.as.alice, { name: `env-${i}`, tier: i, policy: {} });
});

/** Someone with write access to the database file: drops the triggers, then tampers. */
function tamper(statements: string): void {
  t.reg.db.raw.exec(`DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; ${statements}`);
}

describe('audit chain', () => {
  it('holds for every mutation, one signed event each', () => {
    const result = verifyAuditChain(t.reg);
    expect(result.firstBad).toBeNull();
    // init, five users added, five environments created
    expect(result.checked).toBe(11);
  });

  const attacks: [string, string, number, string][] = [
    ['an edited detail', `UPDATE audit_events SET details = '{"tier":99}' WHERE seq = 8`, 8, 'hash'],
    ['a changed actor', `UPDATE audit_events SET actor = 'bob' WHERE seq = 3`, 3, 'hash'],
    ['a deleted event', 'DELETE FROM audit_events WHERE seq = 5', 5, 'gap'],
    ['an event re-hashed after editing', `UPDATE audit_events SET action = 'env.delete', hash = 'f' || substr(hash, 2) WHERE seq = 9`, 9, 'hash'],
    ['two events swapped', `UPDATE audit_events SET seq = -1 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = 7; UPDATE audit_events SET seq = 7 WHERE seq = -1`, 6, 'chain'],
    ['a signature from another event', `UPDATE audit_events SET signature = (SELECT signature FROM audit_events WHERE seq = 2) WHERE seq = 4`, 4, 'signature'],
    ['a key no user holds', `UPDATE audit_events SET key_id = '${'e'.repeat(64)}' WHERE seq = 10`, 10, 'unknown_key'],
  ];
  it.each(attacks)('detects %s and names the first bad event', (_name, statements, seq, problem) => {
    tamper(statements);
    expect(verifyAuditChain(t.reg).firstBad).toMatchObject({ seq, problem });
  });
});
