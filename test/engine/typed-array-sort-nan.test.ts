// A long float typed array's sort with no comparator (done in the prelude, in pieces) moves each NaN with its bits,
// as V8 does, where it wrote a NaN of its own in their place: a NaN's payload and sign, read through an integer
// view of the buffer, are V8's. (Among NaNs of different bit patterns V8's order is its sort's chance; they are
// compared as a set.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

/** What V8 itself (this process's, the isolates') makes of a classic script, as the result's JSON: the prelude must not change it. */
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)) ?? 'null');

it('keeps each NaN\'s bits, as V8 does', async () => {
  const source = `const out = [], N = 140000;
    // The array's bits as hex words, NaNs' only (their set when several differ), and a digest of the rest.
    const bits = (ta, several) => {
      const W = ta.BYTES_PER_ELEMENT === 2 ? Uint16Array : Uint32Array, w = ta.BYTES_PER_ELEMENT / W.BYTES_PER_ELEMENT;
      const words = new W(ta.buffer, ta.byteOffset, ta.length * w), nans = [];
      let h = 2166136261, first = -1;
      for (let i = 0; i < ta.length; i++) {
        const x = [];
        for (let k = 0; k < w; k++) x.push(words[i * w + k].toString(16));
        if (ta[i] !== ta[i]) { if (first < 0) first = i; nans.push(x.join(':')); } else for (const y of x) h = Math.imul(h ^ parseInt(y, 16), 16777619);
      }
      return [first, several ? nans.sort() : nans, h >>> 0];
    };
    const fill = (ta) => { for (let i = 0; i < ta.length; i++) ta[i] = i % 3 ? (i * 7919) % 1000 - 500 : -((i * 31) % 97) / 7; return ta; };
    // One NaN with a payload (the sign bit set too) in a Float64Array.
    let f = fill(new Float64Array(N)), u = new Uint32Array(f.buffer);
    u[2 * 5] = 0x12345; u[2 * 5 + 1] = 0xfff80000;
    out.push(bits(f.sort()));
    // Many NaNs of one payload, in a Float32Array viewed at an offset, by toSorted and sort.
    const buf = new ArrayBuffer(8 + 4 * N), f32 = fill(new Float32Array(buf, 8, N)), u32 = new Uint32Array(buf, 8, N);
    for (let i = 0; i < N; i += 101) u32[i] = 0x7fc0beef;
    out.push(bits(f32.toSorted()), bits(f32.sort()));
    // NaNs of several payloads: the same set.
    f = fill(new Float64Array(N)); u = new Uint32Array(f.buffer);
    for (let i = 0; i < N; i += 997) { u[2 * i] = i; u[2 * i + 1] = i % 2 ? 0x7ff00000 + (i % 7) + 1 : 0xfff80000; }
    out.push(bits(f.sort(), true));
    if (typeof Float16Array === 'function') {
      const h = fill(new Float16Array(N)), u16 = new Uint16Array(h.buffer);
      for (let i = 3; i < N; i += 1009) u16[i] = 0x7e01;
      out.push(bits(h.sort()));
    }
    out`;
  expect(await valueOf(engine, source)).toEqual(native(source));
}, 60_000);
