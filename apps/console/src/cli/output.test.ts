import { describe, expect, it } from 'vitest';
import { formatBytes, plural, table } from './output.js';

describe('terminal text', () => {
  it('tables head every column in one style, whatever the field name looks like', () => {
    const text = table([{ hostId: 'host-a', activated_at: '2026-11-30', id: 1 }], ['id', 'hostId', 'activated_at']);
    expect(text.split('\n')).toEqual(['ID  HOST ID  ACTIVATED AT', '1   host-a   2026-11-30']);
    expect(table([], ['id'])).toBe('(none)');
  });

  it('sizes read as people read them', () => {
    expect([0, 1023, 1024, 200_018, 5 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '195.3 KiB', '5.0 GiB']);
  });

  it('counts agree with their nouns', () => {
    expect([plural(1, 'version'), plural(2, 'version'), plural(0, 'blob'), plural(1, 'policy', 'policies'), plural(3, 'policy', 'policies')]).toEqual(['1 version', '2 versions', '0 blobs', '1 policy', '3 policies']);
  });
});
