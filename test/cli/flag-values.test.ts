// Flag values that silently changed the request: an empty --token, --timeout or --id (meant as
// unset, or not meant at all), --script-version 0 (the API's "latest"), --env naming a variable
// twice, and --args/--env text the command line decoded lossily. All refused (exit 2) before
// anything connects.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, refusal, scriptsDir } from "./helpers.ts";

const NOWHERE = "127.0.0.1:1"; // refused before connecting: nothing listens there
const job = () => join(scriptsDir("flags-", { "job.js": "6 * 7" }), "job.js");

describe("empty values", () => {
  it("--token '' is refused, and does not override SE_TOKEN; an empty SE_TOKEN is unset", async () => {
    expect(refusal({ token: "" }, { SE_TOKEN: "ops-token" })).toEqual([2, "--token is empty: give a token, or leave the flag out (SE_TOKEN)"]);
    expect(refusal({}, { SE_TOKEN: "" })).toBe("accepted");
    const r = await cli(["-a", NOWHERE, "--token", "", "health"], { env: { SE_TOKEN: "ops-token" } });
    expect([r.code, r.stderr]).toEqual([2, "scriptengine: --token is empty: give a token, or leave the flag out (SE_TOKEN)\n"]);
  });

  it("--timeout '' is refused", async () => {
    const r = await cli(["-a", NOWHERE, "run", job(), "--timeout", ""]);
    expect([r.code, r.stderr]).toEqual([2, "scriptengine: --timeout is empty: give a duration such as 5s, or leave the flag out\n"]);
  });

  it("compile --id '' is refused", async () => {
    const r = await cli(["-a", NOWHERE, "compile", job(), "--id", ""]);
    expect([r.code, r.stderr]).toEqual([2, "scriptengine: --id is empty: give a script id, or leave the flag out for a generated one\n"]);
  });
});

it("--script-version 0 is a usage error, not the latest version", async () => {
  const r = await cli(["-a", NOWHERE, "exec", "nightly", "--script-version", "0"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--script-version must be at least 1 (versions start at 1; leave it out for the latest)");
});

it("--env naming a variable twice is a usage error, as --metadata is", async () => {
  const r = await cli(["-a", NOWHERE, "run", job(), "--env", "A=1", "A=2"]);
  expect([r.code, r.stderr]).toEqual([2, "scriptengine: --env A given twice\n"]);
});

describe("text the command line cannot carry exactly", () => {
  // What Node makes of the bytes {"s":"caf\xE9"} in argv: U+FFFD.
  it.each([
    ["--args with bytes that are not UTF-8", ["--args", '{"s":"caf\uFFFD"}'], /^scriptengine: --args is not valid UTF-8 at offset 9 \(or holds U\+FFFD\)/],
    ["--env with bytes that are not UTF-8", ["--env", "A=caf\uFFFD"], /^scriptengine: --env A is not valid UTF-8 at offset 5 \(or holds U\+FFFD\)/],
    ["--args with a lone surrogate escape", ["--args", '{"s":"\\ud800"}'], /^scriptengine: --args holds a lone surrogate \(\\ud800\), which is no character/],
    ["--args with a lone surrogate in a key", ["--args", '{"\\udc00":1}'], /^scriptengine: --args holds a lone surrogate \(\\udc00\)/],
  ])("%s is refused", async (_name, flags, message) => {
    const r = await cli(["-a", NOWHERE, "run", job(), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a surrogate pair, escaped or not, is a character and passes the check", async () => {
    const r = await cli(["-a", NOWHERE, "run", job(), "--args", '{"a":"\\ud83d\\ude00","b":"\u{1F600}"}']);
    expect(r.code).toBe(3); // it got as far as connecting
  });
});
