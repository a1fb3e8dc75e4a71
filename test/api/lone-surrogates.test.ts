// A script's text may hold a lone surrogate (half a UTF-16 pair). Binary protobuf writes one as
// U+FFFD; grpc-js cannot send a status message holding one (encodeURI throws: no status, the call
// waits for its deadline), and proto3 JSON clients refuse a message holding one (the whole result,
// or every replay of an event, lost). Everything the server sends reads U+FFFD for it, on every door.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor, type Protocol } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });
const FFFD = "\ufffd";

// A refused tool's error quotes the name the script asked for: the run's error, and so the RPC's
// message (SECURITY_VIOLATION) and its SecurityViolation event's detail. Quoted as JSON, its lone
// surrogate is escaped (\ud800, six characters): every protocol carries it as written.
const REFUSED_TOOL = "export default async function main(a, ctx) { await ctx.tools.call('no\\ud800pe', {}) }";
const REFUSED_WORDS = 'tool "no\\ud800pe" is not available to this script';

/** The replayed log's events, read over Connect JSON from the start until `until` is seen. */
async function replayJson(until: (e: ServiceEvent) => boolean): Promise<ServiceEvent[]> {
  const ac = new AbortController();
  const seen: ServiceEvent[] = [];
  try {
    for await (const m of clientFor(EventService, "connect-json", server).subscribe({ afterSequence: 0n }, { signal: ac.signal, timeoutMs: 20_000 })) {
      if (m.message.case !== "event") continue;
      seen.push(m.message.value);
      if (until(m.message.value)) break;
    }
  } finally {
    ac.abort();
  }
  return seen;
}

describe("an RPC error quoting a script's text that holds a lone surrogate", () => {
  it.each(["grpc-js", "connect", "connect-json"] as Protocol[])("gets its status over %s, the surrogate escaped in its message", async (protocol) => {
    const scripts = clientFor(ScriptService, protocol, server);
    // The deadline only bounds a failure: before, the gRPC door sent no status and the call met it.
    const refused = await failure(scripts.runScript({ source: REFUSED_TOOL }, { timeoutMs: 15_000 }));
    expect([refused.code, refused.reason, refused.err.rawMessage]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", REFUSED_WORDS]);
  });

  it("left no unhandled rejection in the log", () => {
    expect(server.logs()).not.toMatch(/unhandled|URI malformed/i);
  });
});

describe("a result holding lone surrogates", () => {
  const SOURCE = [
    "export default async function main() {",
    "  console.log('out \\ud800'); console.error('err \\udc00');",
    "  return { ['\\udc00k']: ['\\ud800', 'pair \\ud83d\\ude00'], __proto__: null, plain: 'x' };",
    "}",
  ].join("\n");
  const THROWS = "export default async function main() { const e = new Error('m \\ud800'); e.name = 'N\\udc00'; e.stack = 'N\\udc00: m \\ud800\\n    at main (adhoc:2:3)'; throw e }";

  it.each(["grpc-js", "connect-json"] as Protocol[])("reaches a %s caller whole, U+FFFD for each", async (protocol) => {
    const scripts = clientFor(ScriptService, protocol, server);
    const r = (await scripts.runScript({ source: SOURCE })).result!;
    expect(r.success).toBe(true);
    expect(r.stdout).toBe(`out ${FFFD}\n`);
    expect(r.stderr).toBe(`err ${FFFD}\n`);
    const fields = r.returnValue?.kind.case === "structValue" ? r.returnValue.kind.value.fields : {};
    expect(Object.keys(fields).sort()).toEqual(["plain", `${FFFD}k`]);
    const list = fields[`${FFFD}k`]?.kind;
    expect(list?.case === "listValue" && list.value.values.map((v) => v.kind.value)).toEqual([FFFD, "pair \ud83d\ude00"]);

    const e = (await scripts.runScript({ source: THROWS })).result!.error!;
    expect([e.name, e.message]).toEqual([`N${FFFD}`, `m ${FFFD}`]);
    expect(e.stack.isWellFormed() && e.stack.includes(`m ${FFFD}`)).toBe(true);
  });
});

describe("events holding lone surrogates", () => {
  it("a Connect JSON subscriber reads past a run's SecurityViolation, on every replay", async () => {
    const scripts = clientFor(ScriptService, "connect", server);
    await failure(scripts.runScript({ source: REFUSED_TOOL }));
    const after = (await scripts.runScript({ source: "export default async function main() { return 1 }" })).result!;
    for (let replay = 0; replay < 2; replay++) {
      const seen = await replayJson((e) => e.event.case === "scriptExecuted" && e.event.value.executionId === after.executionId);
      const details = seen.flatMap((e) => (e.event.case === "securityViolation" ? [e.event.value.detail] : []));
      expect(details).toContain(REFUSED_WORDS);
    }
  });

  it("one emitted over Connect JSON is stored as binary would have it, Value strings and Struct keys too", async () => {
    // Proto3 JSON decoding refuses a lone surrogate in a string field or a map key, not in a google.protobuf.Value.
    const value = { kind: { case: "structValue", value: { fields: { ["k\ud800"]: { kind: { case: "stringValue", value: "v\udc00" } } } } } } as const;
    const emitted = await clientFor(EventService, "connect-json", server).emit({
      event: { event: { case: "serviceRegistered", value: { serviceId: "svc-surrogate", serviceType: "t", metadata: { m: value } } } },
    });
    const got = (await replayJson((e) => e.sequence === emitted.sequence)).at(-1)!;
    expect(got.sequence).toBe(emitted.sequence);
    const m = got.event.case === "serviceRegistered" ? got.event.value.metadata.m?.kind : undefined;
    const fields = m?.case === "structValue" ? m.value.fields : {};
    expect(Object.entries(fields).map(([k, v]) => [k, v.kind.value])).toEqual([[`k${FFFD}`, `v${FFFD}`]]);
  });
});

describe("a script-written stack position past a uint32", () => {
  const forged = (position: string) =>
    `export default async function main() { const err = new Error('x'); err.stack = 'Error: x\\n    at main (adhoc:${position})'; throw err }`;

  it.each(["grpc-js", "connect", "connect-json", "grpc-web", "grpc-over-http"] as Protocol[])("is 0 (none) over %s, the result whole", async (protocol) => {
    const scripts = clientFor(ScriptService, protocol, server);
    for (const [position, line, column] of [["4294967296:5", 0, 5], ["7:100000000000000000000", 7, 0], ["4294967295:4294967295", 4294967295, 4294967295]] as const) {
      const r = (await scripts.runScript({ source: forged(position) })).result!;
      expect([r.success, r.error?.message, r.error?.line, r.error?.column]).toEqual([false, "x", line, column]);
    }
  });
});
