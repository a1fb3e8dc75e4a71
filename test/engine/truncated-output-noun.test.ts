// The marker that ends output cut at max_output_bytes counts the bytes dropped: one was "1 bytes".
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 60_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('one byte dropped is "1 byte", more are "bytes"', async () => {
  const one = await run(engine, 'console.log("1234567890"); 0', { limits: { maxOutputBytes: 10 } as never });
  expect(one.stdout).toBe('1234567890\n…[truncated 1 byte]');
  const two = await run(engine, 'console.error("12345678901"); 0', { limits: { maxOutputBytes: 10 } as never });
  expect(two.stderr).toBe('1234567890\n…[truncated 2 bytes]');
});
