// The prelude's describe cut an error's raw stack at 16 KiB: the header (name: message) of a 5 MB
// message filled it, so the frames were lost and the error had no line. The header is now clipped as
// the message is and the frames kept, for a throw at the top level and inside main alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ defaultMemoryBytes: 32 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const limits = { memoryBytes: 32 * MiB, wallTimeoutMs: 3000 };

describe('a huge error keeps its frames', () => {
  const cases: [string, string, number, number][] = [
    ['top level of a script', 'throw new Error("m".repeat(5e6))', 1, 7],
    ['top level of a wrapped module', 'export default () => 1;\nthrow new Error("m".repeat(5e6));', 2, 7],
    ['inside main', 'export default function main() {\n  throw new Error("m".repeat(5e6));\n}', 2, 9],
    ['a message of many lines, inside main', 'export default function main() {\n  throw new Error("line\\n".repeat(1e6));\n}', 2, 9],
  ];
  for (const [name, source, line, column] of cases) {
    it(name, async () => {
      const r = await run(engine, source, { limits: limits as never });
      expect(r.error?.kind).toBe('script_threw');
      expect(r.error!.message.length).toBeLessThanOrEqual(8193);
      expect(r.error!.stack.length).toBeLessThanOrEqual(16385);
      expect(r.error!.stack).toMatch(new RegExp(`\\n\\s+at .*:${line}:${column}`));
      expect(r.error).toMatchObject({ line, column });
    }, 15_000);
  }

  it('many frames are cut between frames, the first ones kept', async () => {
    const r = await run(engine, 'Error.stackTraceLimit = 1e4;\nfunction f(n) { if (n === 0) throw new Error("m".repeat(2e4)); f(n - 1); }\nf(3000)', { limits: limits as never });
    expect(r.error!.stack.length).toBeLessThanOrEqual(16385);
    expect(r.error).toMatchObject({ line: 2, column: 36 });
    const lines = r.error!.stack.split('\n');
    expect(lines.length).toBeGreaterThan(50);
    for (const l of lines.slice(1)) expect(l).toMatch(/^\s+at .*:\d+:\d+\)?$/);
  }, 15_000);
});
