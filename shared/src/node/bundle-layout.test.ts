import { describe, expect, it } from 'vitest';
import { paxLength } from './bundle-layout.js';

describe('pax record length', () => {
  it.each([
    [{ mtime: '1432668921.098285006' }, '30 mtime=1432668921.098285006\n'],
    [{ k: 'vvvvv' }, '11 k=vvvvv\n'],
    [{ k: 'vvvv' }, '9 k=vvvv\n'],
    [{ k: 'v'.repeat(94) }, `101 k=${'v'.repeat(94)}\n`],
    [{ k: 'v'.repeat(93) }, `99 k=${'v'.repeat(93)}\n`],
  ])('%o takes as many bytes as "%s"', (pax, record) => {
    expect(paxLength(pax)).toBe(Buffer.byteLength(record));
    expect(Number(record.split(' ')[0])).toBe(Buffer.byteLength(record));
  });
  it('adds up several records', () => {
    expect(paxLength({ k: 'vvvv', mtime: '1432668921.098285006' })).toBe(39);
  });
});
