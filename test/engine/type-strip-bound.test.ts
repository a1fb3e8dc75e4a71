// The TypeScript type stripper (amaro) takes exponential time on some tiny sources: each
// `a ? (b): c => ` doubles it (n = 24, 350 bytes: 95 s; n = 26 here: minutes). It ran synchronously
// on the caller's thread with no bound: the worker compiling such a source hung until the supervisor
// killed it (failing what else ran there), and the server's own thread froze while a migration
// stripped a tool's source. It now runs on a thread of its own, waited for at most
// STRIP_TIME_BOUND_MS: past that the source is a compile error naming the type stripper, as a
// TypeScript syntax error is, and no worker is replaced.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompileError, type Engine, type WorkerExit } from "../../src/engine/index.ts";
import { STRIP_TIME_BOUND_MS } from "../../src/engine/source.ts";
import { ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ScriptLanguage } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { check, config, legacyServer } from "../migration/helpers.ts";
import { expectHealthy, parkedNeighbour, run, startEngine } from "./helpers.ts";

/** A source the stripper would take minutes over; `name` makes each one a different source. */
const bomb = (name: string) => `const ${name} = ${"a ? (b): c => ".repeat(26)}d : e;`;
const TOO_COMPLEX = new RegExp(`^TypeScript: stripping the types took longer than ${STRIP_TIME_BOUND_MS} ms \\(the source is too complex.*type stripper`);

describe("the engine", () => {
  let engine: Engine;
  const exits: WorkerExit[] = [];
  beforeAll(async () => { engine = await startEngine({ workers: 1, onWorkerExit: (x) => exits.push(x) }); }, 20_000);
  afterAll(async () => { await engine?.close(); }, 20_000);

  it("refuses such a TypeScript execution as a compile error; its worker and a neighbour parked there carry on", async () => {
    const neighbour = parkedNeighbour(engine);
    const r = await run(engine, bomb("x"), { language: "typescript" });
    expect(r.success).toBe(false);
    expect(r.error).toMatchObject({ kind: "script_threw", name: "SyntaxError", line: 0, column: 0 });
    expect(r.error?.message).toMatch(TOO_COMPLEX);
    expect((await neighbour).returnValue).toBe("neighbour ok");
    expect(exits).toEqual([]);
    expect(engine.stats().workerRestarts).toBe(0);
  }, 60_000);

  it("refuses it in a validate-only compile too, and TypeScript still strips afterwards", async () => {
    const err = await engine.compile(bomb("y"), { language: "typescript" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect(err).toMatchObject({ line: 0, column: 0 });
    expect((err as Error).message).toMatch(TOO_COMPLEX);
    // Sent again, it is refused the same way.
    const again = await engine.compile(bomb("y"), { language: "typescript" }).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(TOO_COMPLEX);
    expect(exits).toEqual([]);
    expect(engine.stats().workerRestarts).toBe(0);
    await expectHealthy(engine);
    const ts = await run(engine, "const n: number = 41; n + 1", { language: "typescript" });
    expect(ts.returnValue).toBe(42);
    const syntax = await engine.compile("let a = 1;\nlet b: = 2;", { language: "typescript" }).catch((e: unknown) => e);
    expect(syntax).toMatchObject({ line: 2, column: 8 });
  }, 60_000);
});

describe("the server", () => {
  const tool = `export const name = "typed_bomb";
export const description = "d";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: {} };
${bomb("z")}
export async function call(args: { a?: string }): Promise<string> { return "x"; }
`;
  const s = legacyServer({ prepare: (root) => writeFileSync(join(root, "typed_bomb.ts"), tool) });

  it("CompileScript: INVALID_ARGUMENT, as a TypeScript syntax error is", async () => {
    const f = await failure(s.scripts.compileScript({ source: bomb("w"), context: { language: ScriptLanguage.TYPESCRIPT } }));
    expect([f.code, f.reason]).toEqual(["InvalidArgument", "COMPILATION_ERROR"]);
    expect(f.err.rawMessage).toMatch(TOO_COMPLEX);
  }, 60_000);

  it("a migration of such a tool fails, and HealthCheck answers while it runs", async () => {
    const health = clientFor(ScriptService, "grpc-js", s.server);
    let done = false;
    const migration = s.migration.migrateTool({ toolName: "typed_bomb", config: config({ dryRun: true }) }).finally(() => { done = true; });
    let answeredDuring = 0;
    while (!done) {
      await health.healthCheck({});
      if (!done) answeredDuring++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = (await migration).result!;
    const compiles = check(r, "compiles");
    expect(compiles.status).toBe(ValidationStatus.FAILED);
    expect(compiles.message.replace(/^does not compile: /, "")).toMatch(TOO_COMPLEX);
    expect(answeredDuring).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
