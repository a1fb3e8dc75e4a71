// A tool call refused for security is an escape_attempt SecurityViolation whether or not the script
// catches it: a script that caught its refusals probed the allow-list, the file system or its grant
// as often as it liked, and no event said so (only a refusal that ended the run was announced). One
// event per execution, counting them.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { SecurityViolation } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ toml: `[tools]\nhttp_allow_list = ["127.0.0.1"]\n`, args: ["--set", "pool.workers=1"] });
const scripts = () => clientFor(ScriptService, "grpc-js", server);
const PROD = { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } };

/** Tries the http tool on hosts off the allow-list, catching `caught` refusals, then (throwing) one more if `last`. */
const probe = (caught: number, last = false) => `export default async (a, ctx) => {
  let n = 0;
  for (let i = 0; i < ${caught}; i++) { try { await ctx.tools.http({ url: "http://off-list-" + i + ".example/" }); } catch (e) { if (e.name === "SecurityError") n++; } }
  ${last ? 'await ctx.tools.http({ url: "http://last.example/" });' : ""}
  return n;
}`;

/** The SecurityViolation events of these executions, from the retained log (read up to a marker run after them). */
async function violationsOf(executionIds: string[]): Promise<SecurityViolation[]> {
  const marker = (await scripts().runScript({ source: "0" })).result!.executionId;
  const found: SecurityViolation[] = [];
  const ac = new AbortController();
  try {
    for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ afterSequence: 0n }, { signal: ac.signal, timeoutMs: 20_000 })) {
      if (m.message.case !== "event") continue;
      const e = m.message.value.event;
      if (e.case === "securityViolation" && executionIds.includes(e.value.executionId)) found.push(e.value);
      if (e.case === "scriptExecuted" && e.value.executionId === marker) break;
    }
  } finally {
    ac.abort();
  }
  return found;
}


describe("tool calls refused for security", () => {
  it("caught, are one escape_attempt event for the execution, counting them", async () => {
    const one = (await scripts().runScript({ source: probe(1), context: PROD })).result!;
    const three = (await scripts().runScript({ source: probe(3), context: PROD })).result!;
    expect([one.returnValue?.kind.value, three.returnValue?.kind.value]).toEqual([1, 3]);
    const [a, b] = [await violationsOf([one.executionId]), await violationsOf([three.executionId])];
    expect(a.map((v) => [v.kind, v.count, v.securityLevel])).toEqual([["escape_attempt", 1, SecurityLevel.PRODUCTION]]);
    expect(a[0]!.detail).toMatch(/off-list-0\.example.*\(the script caught it\)$/);
    expect(b.map((v) => [v.kind, v.count])).toEqual([["escape_attempt", 3]]);
    expect(b[0]!.detail).toMatch(/off-list-0\.example.*\(3 tool calls refused in this execution, the script caught them\)$/);
  });

  it("caught and then one left to end the run: still one event, counting all, naming the last", async () => {
    const id = "caught-then-uncaught";
    const f = await failure(scripts().runScript({ source: probe(2, true), context: { ...PROD, executionId: id } }));
    expect([f.code, f.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    const v = await violationsOf([id]);
    expect(v.map((x) => [x.kind, x.count])).toEqual([["escape_attempt", 3]]);
    expect(v[0]!.detail).toMatch(/last\.example.*\(3 tool calls refused in this execution\)$/);
  });

  it("a tool not in available_tools, caught, counts too (the worker refuses it)", async () => {
    const source = `export default async (a, ctx) => {
      const names = [];
      for (const t of ["fs", "no-such-tool"]) { try { await ctx.tools.call(t, {}); } catch (e) { names.push(e.name); } }
      return names;
    }`;
    const r = (await scripts().runScript({ source, context: PROD })).result!;
    expect(r.returnValue?.kind.case === "listValue" && r.returnValue.kind.value.values.map((v) => v.kind.value)).toEqual(["ToolNotAllowedError", "ToolNotAllowedError"]);
    const v = await violationsOf([r.executionId]);
    expect(v.map((x) => [x.kind, x.count])).toEqual([["escape_attempt", 2]]);
    expect(v[0]!.detail).toBe('tool "fs" is not available to this script (2 tool calls refused in this execution, the script caught them)');
  });

  it("a name written to forge the detail is quoted as JSON, and a long one clipped", async () => {
    const forged = 'fs" is not available to this script (the script caught it)\n{"level":"error","msg":"forged"}';
    const source = `export default async (a, ctx) => {
      for (const t of [${JSON.stringify(forged)}, "x".repeat(1 << 20)]) { try { await ctx.tools.call(t, {}); } catch (e) {} }
      return 0;
    }`;
    const r = (await scripts().runScript({ source, context: PROD })).result!;
    const [v] = await violationsOf([r.executionId]);
    expect(v!.detail).toBe(`tool ${JSON.stringify(forged)} is not available to this script (2 tool calls refused in this execution, the script caught them)`);
    expect(v!.detail).not.toContain("\n");
  });

  it("none refused: no event", async () => {
    const ok = (await scripts().runScript({ source: probe(0), context: PROD })).result!;
    expect(await violationsOf([ok.executionId])).toEqual([]);
  });
});
