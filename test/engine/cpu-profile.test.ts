import { describe, expect, it } from 'vitest';
import { boundedProfileJson, type CpuProfile } from '../../src/engine/cpu-profile.ts';
import { run, startEngine } from './helpers.ts';

function synthetic(nodes: number, samples: number): CpuProfile {
  return {
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: i + 1, hitCount: 0, children: i + 1 < nodes ? [i + 2] : [],
      callFrame: { functionName: `f${i}`, scriptId: '1', url: 'script.js', lineNumber: i, columnNumber: 0 },
    })),
    startTime: 0, endTime: samples * 1000,
    samples: Array.from({ length: samples }, (_, i) => (i % nodes) + 1),
    timeDeltas: Array.from({ length: samples }, () => 1000),
  };
}

/** A profile DevTools can load: samples and deltas pair up, every sample names a node, hit counts add up. */
function expectValid(p: CpuProfile) {
  expect(p.samples.length).toBe(p.timeDeltas.length);
  const ids = new Set(p.nodes.map((n) => n.id));
  for (const s of p.samples) expect(ids.has(s)).toBe(true);
  expect(p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)).toBe(p.samples.length);
}

describe('CPU profiles are held to the output cap', () => {
  it('a profile under the cap keeps every sample, its hit counts made to add up', () => {
    const p = synthetic(5, 100); // hit counts all 0, as a profiler that missed them would say
    const q = JSON.parse(boundedProfileJson(p, 1 << 20)) as CpuProfile;
    expect([q.samples, q.timeDeltas, q.nodes.map((n) => n.id)]).toEqual([p.samples, p.timeDeltas, p.nodes.map((n) => n.id)]);
    expectValid(q);
  });

  it('a long run is thinned: still valid, its total time kept, under the cap', () => {
    const p = synthetic(10, 100_000);
    const json = boundedProfileJson(p, 100_000);
    expect(json.length).toBeLessThanOrEqual(100_000);
    const q = JSON.parse(json) as CpuProfile;
    expectValid(q);
    expect(q.samples.length).toBeGreaterThan(1000);
    expect(q.timeDeltas.reduce((a, b) => a + b, 0)).toBe(100_000 * 1000);
  });

  it('a call tree over the cap by itself leaves the root alone', () => {
    const q = JSON.parse(boundedProfileJson(synthetic(5000, 10), 4096)) as CpuProfile;
    expect(q.nodes).toHaveLength(1);
    expectValid(q);
  });

  it('through the engine: a profiled run under an 8 KiB output cap returns a profile of at most 4 KiB', async () => {
    const engine = await startEngine({ workers: 1 });
    try {
      const r = await run(engine, 'const end = Date.now() + 1500; let n = 0; while (Date.now() < end) n++; n > 0', {
        collectCpuProfile: true, limits: { maxOutputBytes: 8192, wallTimeoutMs: 10_000 } as never,
      });
      expect(r.success).toBe(true);
      expect(r.cpuProfile!.length).toBeLessThanOrEqual(4096);
      expectValid(JSON.parse(r.cpuProfile!) as CpuProfile);
    } finally {
      await engine.close();
    }
  });
});
