// Registered tools as a script calls them: no argument told from null, schemas with a decimal `multipleOf` or a 2020-12
// `$schema` (checked as draft-07 before), refusals a tool catches (no escape_attempt event said so:
// a tool could probe the allow-list for its caller unseen), and the cap of 1,000 tool calls.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Value } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { SecurityViolation } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";
import { check, clients, config, SecurityLevel } from "../migration/helpers.ts";

const tool = (name: string, body: string, schemas: { input?: object; output?: object } = {}) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n` +
  `export const inputSchema = ${JSON.stringify(schemas.input ?? { type: "object" })};\n` +
  (schemas.output ? `export const outputSchema = ${JSON.stringify(schemas.output)};\n` : "") +
  `export async function call(args, ctx) { ${body} }\n`;

const cents = { type: "number", multipleOf: 0.01 };
const D2020 = "https://json-schema.org/draft/2020-12/schema";
const pairs = {
  $schema: D2020,
  type: "object",
  properties: { pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false, minItems: 2 }, n: { type: "number" } },
  dependentRequired: { n: ["pair"] },
  unevaluatedProperties: false,
};
/** An http call to a host off the allow-list, its refusal caught: the tool's body. */
const probe = (host: string) => `try { await ctx.tools.http({ url: "http://${host}/" }); } catch (e) { if (e.name !== "SecurityError") throw e; }`;

const PROD = { availableTools: [] as string[], securityContext: { securityLevel: SecurityLevel.PRODUCTION } };

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "se-tool-calls-schemas-"));
  writeFileSync(join(root, "price.js"), tool("price", "return args.amount;", { input: { type: "object", properties: { amount: cents }, required: ["amount"] }, output: cents }));
  writeFileSync(join(root, "pairs.js"), tool("pairs", "return 'ok';", { input: pairs }));
  writeFileSync(join(root, "draft4.js"), tool("draft4", "return 'ok';", { input: { $schema: "http://json-schema.org/draft-03/schema#", type: "object" } }));
  writeFileSync(join(root, "catch_one.js"), tool("catch_one", `${probe("off-list-tool.example")} return "swallowed";`));
  writeFileSync(join(root, "catch_two.js"), tool("catch_two", `${probe("off-list-a.example")} ${probe("off-list-b.example")} return "swallowed";`));
  writeFileSync(join(root, "echo.js"), tool("echo", "return [args === null ? 'null' : typeof args, JSON.stringify(args)];", { input: {} }));
  writeFileSync(join(root, "leak.js"), tool("leak", `await ctx.tools.http({ url: "http://off-list-leak.example/" });`));
  server = await startServer({ toml: `[tools]\nhttp_allow_list = ["127.0.0.1"]\n`, args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1", "--set", "resource_limits.max_network_requests=2000"] });
  c = clients(server);
  for (const [name, level] of [["price", SecurityLevel.SAFE], ["pairs", SecurityLevel.SAFE], ["echo", SecurityLevel.SAFE], ["catch_one", SecurityLevel.PRODUCTION], ["catch_two", SecurityLevel.PRODUCTION], ["leak", SecurityLevel.PRODUCTION]] as const) {
    const r = await c.migration.migrateTool({ toolName: name, config: config({ level, skipChecks: ["smoke_run"] }) });
    expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
  }
}, 60_000);
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const plain = (v: Value | undefined): unknown => {
  const k = v?.kind;
  if (k?.case === "listValue") return k.value.values.map(plain);
  if (k?.case === "structValue") return Object.fromEntries(Object.entries(k.value.fields).map(([key, x]) => [key, plain(x)]));
  return k?.value;
};

/** Calls `tool` with each argument, returning what it answered or the error's name and message. */
async function callEach(toolName: string, args: unknown[], context: object = {}) {
  const r = await c.scripts.runScript({
    source: `export default async (a, ctx) => { const out = []; for (const x of ${JSON.stringify(args)}) { try { out.push(await ctx.tools.${toolName}(x)); } catch (e) { out.push(e.name + ": " + e.message); } } return out; }`,
    context: { availableTools: [toolName], ...context },
  });
  return plain(r.result?.returnValue) as unknown[];
}

describe("arguments", () => {
  it("none is an empty object; null is null, checked against the tool's schema", async () => {
    const r = await c.scripts.runScript({
      source: "export default async (a, ctx) => [await ctx.tools.echo(), await ctx.tools.echo(undefined), await ctx.tools.echo(null), await ctx.tools.echo(0)]",
      context: { availableTools: ["echo"] },
    });
    expect(plain(r.result?.returnValue)).toEqual([["object", "{}"], ["object", "{}"], ["null", "null"], ["number", "0"]]);
    expect(await callEach("price", [null])).toEqual([expect.stringMatching(/^ToolError: .*arguments of tool price do not match its input schema: \(root\) must be object$/)]);
  });
});

describe("schemas", () => {
  it("multipleOf 0.01 takes 19.99, 0.29, 0.07 and 4.35, in arguments and results, and refuses 0.015", async () => {
    const out = await callEach("price", [{ amount: 19.99 }, { amount: 0.29 }, { amount: 0.07 }, { amount: 4.35 }, { amount: 0.015 }]);
    expect(out.slice(0, 4)).toEqual([19.99, 0.29, 0.07, 4.35]);
    expect(out[4]).toMatch(/^ToolError: .*arguments of tool price do not match its input schema: \/amount must be multiple of 0\.01$/);
    // A migration's smoke run given such arguments, its result checked against the output schema.
    const r = await c.migration.migrateTool({ toolName: "price", config: config({ dryRun: true, force: true, smokeArgs: { amount: 19.99 } }) });
    expect(check(r.result, "smoke_run")).toMatchObject({ status: ValidationStatus.PASSED });
  });

  it("a 2020-12 $schema is honoured: prefixItems, items false, dependentRequired, unevaluatedProperties", async () => {
    const out = await callEach("pairs", [{ pair: ["a", 1] }, { pair: [1, "a"] }, { n: 1 }, { pair: ["a", 1], extra: 1 }]);
    expect(out[0]).toBe("ok");
    expect(out.slice(1)).toEqual([
      expect.stringMatching(/input schema: \/pair\/0 must be string$/),
      expect.stringMatching(/input schema: \(root\) must have property pair when property n is present$/),
      expect.stringMatching(/input schema: \(root\) must NOT have unevaluated properties$/),
    ]);
  });

  it("its migration says nothing of unknown keywords; one of a dialect not checked fails input_schema_valid, naming those that are", async () => {
    const ok = await c.migration.migrateTool({ toolName: "pairs", config: config({ dryRun: true, force: true, smokeArgs: { pair: ["a", 1], n: 2 } }) });
    expect([check(ok.result, "input_schema_valid").status, check(ok.result, "smoke_run").status]).toEqual([ValidationStatus.PASSED, ValidationStatus.PASSED]);
    const r = await c.migration.migrateTool({ toolName: "draft4", config: config({ skipChecks: ["smoke_run"] }) });
    expect(r.result?.status).toBe(MigrationState.FAILED);
    const v = check(r.result, "input_schema_valid");
    expect(v.status).toBe(ValidationStatus.FAILED);
    expect(v.message).toMatch(/\$schema "http:\/\/json-schema\.org\/draft-03\/schema#" is not a JSON Schema dialect this server checks: it checks draft-04 .*draft-06 .*draft-07 .*2019-09 .*2020-12/);
  });
});

/** The SecurityViolation events of an execution, from the retained log (read up to a marker run after it). */
async function violationsOf(executionId: string): Promise<SecurityViolation[]> {
  const marker = (await c.scripts.runScript({ source: "0" })).result!.executionId;
  const found: SecurityViolation[] = [];
  const ac = new AbortController();
  try {
    for await (const m of c.events.subscribe({ afterSequence: 0n }, { signal: ac.signal, timeoutMs: 20_000 })) {
      if (m.message.case !== "event") continue;
      const e = m.message.value.event;
      if (e.case === "securityViolation" && e.value.executionId === executionId) found.push(e.value);
      if (e.case === "scriptExecuted" && e.value.executionId === marker) break;
    }
  } finally {
    ac.abort();
  }
  return found;
}

describe("calls refused to a registered tool, which caught them", () => {
  const run = async (source: string, tools: string[]) => (await c.scripts.runScript({ source, context: { ...PROD, availableTools: tools } })).result!;

  it("are its caller's escape_attempt event, naming the tool", async () => {
    const r = await run("export default (a, ctx) => ctx.tools.catch_one({})", ["catch_one"]);
    expect(plain(r.returnValue)).toBe("swallowed");
    const v = await violationsOf(r.executionId);
    expect(v.map((x) => [x.kind, x.count, x.securityLevel])).toEqual([["escape_attempt", 1, SecurityLevel.PRODUCTION]]);
    expect(v[0]!.detail).toMatch(/^tool "catch_one": .*off-list-tool\.example.*\(the script caught it\)$/);
  });

  it("count with the caller's own in its one event", async () => {
    const r = await run(`export default async (a, ctx) => { ${probe("off-list-own.example")} return ctx.tools.catch_two({}); }`, ["catch_two", "http"]);
    expect(plain(r.returnValue)).toBe("swallowed");
    const v = await violationsOf(r.executionId);
    expect(v.map((x) => [x.kind, x.count])).toEqual([["escape_attempt", 3]]);
    expect(v[0]!.detail).toMatch(/off-list-own\.example.*\(3 tool calls refused in this execution, the script caught them\)$/);
  });

  it("one the tool left to end its run is counted once (as the call's SecurityError)", async () => {
    const r = await run(`export default async (a, ctx) => { try { await ctx.tools.leak({}); } catch (e) { return e.name; } }`, ["leak"]);
    expect(plain(r.returnValue)).toBe("SecurityError");
    const v = await violationsOf(r.executionId);
    expect(v.map((x) => [x.kind, x.count])).toEqual([["escape_attempt", 1]]);
    expect(v[0]!.detail).toMatch(/off-list-leak\.example.*\(the script caught it\)$/);
  });
});

describe("tool calls per execution", () => {
  // (The server's max_network_requests is raised past 1,000 for it: that cap would come first.)
  it("at most 1,000, as the README says: the next fails with a ToolError the script can catch", async () => {
    const r = await c.scripts.runScript({
      source: `export default async (a, ctx) => {
        for (let i = 0; i < 1000; i++) { try { await ctx.tools.http({ url: "http://off-list.example/" }); } catch (e) { if (e.name !== "SecurityError") return i + ": " + e.message; } }
        try { await ctx.tools.http({ url: "http://off-list.example/" }); } catch (e) { return e.name + ": " + e.message; }
      }`,
      context: { ...PROD, availableTools: ["http"] },
    });
    const said = String(plain(r.result?.returnValue));
    expect(said).toBe("ToolError: too many tool calls (max 1000)");
    expect(readFileSync(join(ROOT, "README.md"), "utf8").replace(/\s+/g, " ")).toContain('at most 1,000 tool calls in all (calls refused as not in `available_tools` aside); each call past that fails with a `ToolError` "too many tool calls (max 1000)"');
  });
});
