import { describe, expect, it } from 'vitest';
import { jsonTextNestsDeeper, valueNestsDeeper } from '../../src/engine/json-depth.ts';

const nested = (depth: number) => { let v: unknown = 'x'; for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v }; return v; };

describe('JSON depth', () => {
  it('counts arrays and objects, at the edge', () => {
    for (const [depth, deeper] of [[0, false], [3, false], [4, true], [10, true]] as const) {
      expect(jsonTextNestsDeeper(JSON.stringify(nested(depth)), 3)).toBe(deeper);
      expect(valueNestsDeeper(nested(depth), 3)).toBe(deeper);
    }
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[{{{{', b: ['\\"[[[[', '"]]]]'] });
    expect(jsonTextNestsDeeper(text + ' '.repeat(20), 2)).toBe(false);
    expect(jsonTextNestsDeeper(JSON.stringify([[['\\"']]]) + ' '.repeat(20), 2)).toBe(true);
  });
});
