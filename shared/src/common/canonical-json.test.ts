import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('gives equal text for equal values built in different orders', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
  });
  it.each([[Number.NaN], [Infinity], [() => 1], [Symbol('s')], [10n]])('refuses %s', (v) => {
    expect(() => canonicalJson({ v })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
