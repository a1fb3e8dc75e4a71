// A thrown error's causes (new Error(m, { cause })) reach every client in ExecutionError.causes,
// their text well-formed (a lone surrogate reads U+FFFD, as in the error itself).
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor, type Protocol } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

const SOURCE = [
  "export default async function main() {",
  "  const io = new Error('read \\ud800 failed');",
  "  throw new Error('load failed', { cause: new TypeError('bad config', { cause: io }) });",
  "}",
].join("\n");

describe("a thrown error's causes", () => {
  it.each(["grpc-js", "connect", "connect-json"] as Protocol[])("reach a %s caller, nearest first, with their lines", async (protocol) => {
    const r = (await clientFor(ScriptService, protocol, server).runScript({ source: SOURCE })).result!;
    expect(r.success).toBe(false);
    expect([r.error!.message, r.error!.line]).toEqual(["load failed", 3]);
    expect(r.error!.causes.map((c) => [c.name, c.message, c.line])).toEqual([
      ["TypeError", "bad config", 3],
      ["Error", "read \ufffd failed", 2],
    ]);
    expect(r.error!.causes[1]!.stack).toMatch(/^Error: read \ufffd failed\n {4}at main \(adhoc:2:\d+\)$/);
  });

  it.each(["grpc-js", "connect-json"] as Protocol[])("and an AggregateError's errors reach a %s caller", async (protocol) => {
    const source = "export default async function main() { await Promise.any([Promise.reject(new Error('a')), Promise.reject(new RangeError('b'))]) }";
    const r = (await clientFor(ScriptService, protocol, server).runScript({ source })).result!;
    expect([r.error!.name, r.error!.errors.map((c) => [c.name, c.message, c.line])]).toEqual(["AggregateError", [["Error", "a", 1], ["RangeError", "b", 1]]]);
  });
});
