// --args numbers past ±(2^53 - 1) written with a fraction or an exponent (12345678901234567890.0,
// 1.2345678901234567891e19) passed the integer check and reached the script rounded, with exit 0.
import { describe, expect, it } from "vitest";
import { exactIntegers } from "../../src/cli/input.ts";
import { cli } from "./helpers.ts";

const parse = (text: string) => JSON.parse(text, exactIntegers("--args"));

describe("--args number spellings", () => {
  it("refuses a fraction or an exponent that a double would round past 2^53", () => {
    for (const literal of ["12345678901234567890.0", "1.2345678901234567891e19", "-12345678901234567890e0", "9007199254740993.0", "12345678901234567890.5", "123456789012345678901234567890e-10"]) {
      expect(() => parse(`{"x":${literal}}`), literal).toThrow(`--args "x": ${literal} is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; pass it as a string ("${literal}")`);
    }
  });

  it("passes what a double holds exactly, whatever the spelling", () => {
    expect(parse('{"a":1e20,"b":1.0e20,"c":100000000000000000000.0,"d":9007199254740992.0,"e":-1E300,"f":0.1,"g":2.5e-3,"h":1e-400,"i":0.001e25}')).toEqual({
      a: 1e20,
      b: 1e20,
      c: 1e20,
      d: 9007199254740992,
      e: -1e300,
      f: 0.1,
      g: 0.0025,
      h: 0,
      i: 1e22,
    });
  });

  it("run refuses them with exit 2 before connecting", async () => {
    const r = await cli(["--address", "127.0.0.1:1", "exec", "some-script", "--args", '{"id":12345678901234567890.0}']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^scriptengine: --args "id": 12345678901234567890\.0 is beyond ±\(2\^53 - 1\)/)]);
  });
});
