// A TypeScript syntax error past column 65,535 of a line (minified TypeScript) makes the type
// stripper panic, which was reported as "the source nests too deeply" at 0:0; it now names the line
// and says why there is no column. Real nesting still says it nests too deeply.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ScriptLanguage } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const server = serverForTests({}, { checkExit: false });

const compileTs = (source: string) => clientFor(ScriptService, "grpc-js", server).compileScript({ source, context: { language: ScriptLanguage.TYPESCRIPT } });

/** A minified line of `n` statements, then a syntax error. */
const minified = (n: number) => "var a=1;".repeat(n) + "let b: = 2;";

describe("a TypeScript syntax error on a very long line", () => {
  it("past column 65535: INVALID_ARGUMENT naming the line, not 'nests too deeply'", async () => {
    const f = await failure(compileTs(`const x: number = 1;\n${minified(12_500)}\nx;\n`));
    expect([f.code, f.reason]).toEqual(["InvalidArgument", "COMPILATION_ERROR"]);
    expect(f.err.rawMessage).not.toMatch(/nests too deeply/);
    expect(f.err.rawMessage).toMatch(/past column 65535 of line 2\b.*100,?011 characters long/);
    expect(f.metadata.line).toBe("2");
  });

  it("the line counts as V8 counts lines (U+2028 ends one), its length in characters", async () => {
    const f = await failure(compileTs(`let s = 1;\u2028let t = 2;\n\t${minified(10_000)}`));
    expect(f.err.rawMessage).toMatch(/of line 3\b.*80,?012 characters long/);
    expect(f.metadata.line).toBe("3");
  });

  it("before column 65535 of the same line: its exact place", async () => {
    const f = await failure(compileTs(`let b: = 2;${minified(12_500)}`));
    expect([f.metadata.line, f.metadata.column]).toEqual(["1", "8"]);
  });

  it("real nesting still says so, and the stripper works afterwards", async () => {
    const f = await failure(compileTs(`let a = ${"(".repeat(50_000)}1${")".repeat(50_000)};`));
    expect(f.err.rawMessage).toMatch(/nests too deeply/);
    const r = await compileTs("export default (): number => 42;");
    expect(r.script?.scriptId).toBeTruthy();
  });
});
