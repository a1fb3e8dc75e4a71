// storedSourceOver counts UTF-8 bytes, though most sources are told by their length alone.
import { expect, it } from 'vitest';
import { storedSourceOver as overOf } from '../../src/store/source-limit.ts';

const storedSourceOver = (source: string, limit: number) => overOf({ source }, limit);

it('refuses a stored source by its UTF-8 bytes, at the exact limit, whatever its characters', () => {
  expect(storedSourceOver('abc', 9)).toBeUndefined();
  expect(storedSourceOver('€€€', 9)).toBeUndefined(); // 9 bytes: at the limit
  expect(storedSourceOver('€€€a', 9)?.size).toBe(10); // 4 units, 10 bytes
  expect(storedSourceOver('😀😀', 8)).toBeUndefined(); // two surrogate pairs, 8 bytes
  expect(storedSourceOver('😀😀a', 8)?.size).toBe(9);
  expect(storedSourceOver('a'.repeat(10), 9)?.message).toMatch(/^its source is 10 bytes, over max_source_size \(9\)/);
});
