// --args integers a JSON number cannot hold exactly are refused, naming the argument: the value
// 12345678901234567890 reached the script as 12345678901234567000, with exit 0.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exactIntegers } from "../../src/cli/input.ts";
import { cli } from "./helpers.ts";

const parse = (text: string) => JSON.parse(text, exactIntegers("--args"));

describe("--args numbers", () => {
  it("run and exec refuse an integer past 2^53 - 1 with exit 2, before connecting", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "scriptengine-cli-args-")), "id.js");
    writeFileSync(file, "export default (a) => a");
    const line = 'scriptengine: --args "id": 12345678901234567890 is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; pass it as a string ("12345678901234567890")\n';
    for (const command of [["run", file], ["exec", "some-script"]]) {
      const r = await cli(["--address", "127.0.0.1:1", ...command, "--args", '{"id":12345678901234567890}']);
      expect([command[0], r.code, r.stderr]).toEqual([command[0], 2, line]);
    }
  });

  it("names where it is, nested or in an array, negative too", () => {
    expect(() => parse('{"a":{"b":[1,-9007199254740993]}}')).toThrow(/^--args \[1\]: -9007199254740993 is beyond/);
    expect(() => parse('{"a":{"n":9007199254740992}}')).toThrow(/^--args "n": 9007199254740992 is beyond/);
  });

  it("safe integers, fractions, exponents and strings pass as they are", () => {
    expect(parse('{"a":9007199254740991,"b":-9007199254740991,"c":0.1,"d":1e20,"e":"12345678901234567890"}')).toEqual({
      a: 9007199254740991,
      b: -9007199254740991,
      c: 0.1,
      d: 1e20,
      e: "12345678901234567890",
    });
  });
});
