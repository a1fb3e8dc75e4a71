// A TypeScript syntax error's line and column (COMPILATION_ERROR ErrorInfo) are V8's units, as a
// JavaScript one's: 1-based UTF-16 column, and U+2028/U+2029 end a line. They were the type
// stripper's terminal cells (a tab 4, a CJK character 2, an emoji 3) on its own lines.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ScriptLanguage } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const server = serverForTests({}, { checkExit: false });

async function positionOf(source: string, language: ScriptLanguage): Promise<[string, string]> {
  const f = await failure(clientFor(ScriptService, "grpc-js", server).compileScript({ source, context: { language } }));
  expect([f.code, f.reason], f.err.message).toEqual(["InvalidArgument", "COMPILATION_ERROR"]);
  return [f.metadata.line, f.metadata.column];
}

/** Where the last `;` of the source is, as V8 counts: [line, column], both 1-based. */
function lastSemicolon(source: string): [string, string] {
  const lines = source.split(/\r\n|[\r\n\u2028\u2029]/);
  const n = lines.findLastIndex((l) => l.includes(";"));
  return [String(n + 1), String(lines[n].lastIndexOf(";") + 1)];
}

describe("TypeScript syntax error positions", () => {
  // Each source is a syntax error at its last `;` in both languages: TS and JS must say the same.
  const same: [string, string][] = [
    ["a tab", "let a = 1;\n\tlet b = ;\n"],
    ["two tabs and CJK text", "let a = 1;\n\t\tlet s = '漢漢漢漢', b = ;\n"],
    ["emoji (astral, and a ZWJ sequence)", "let a = 1;\nlet s = '😀👨\u200d👩\u200d👧🇫🇷', b = ;\n"],
    ["a combining mark, an astral CJK character and a BOM before the token", "let s = 'e\u0301\u{20000}', b = \uFEFF;"],
    ["a line after U+2028", "let a = 1;\u2028let s = '漢', b = ;\n"],
    ["a line after U+2029 and CRLF", "let a = 1;\r\nlet c = 2;\u2029\tlet b = ;\r\n"],
  ];
  it.each(same)("%s: the column V8 gives (1-based UTF-16)", async (_, source) => {
    const ts = await positionOf(source, ScriptLanguage.TYPESCRIPT);
    expect(ts).toEqual(lastSemicolon(source));
    expect(ts).toEqual(await positionOf(source, ScriptLanguage.JAVASCRIPT));
  });

  it("a TS-only construct after a tab, CJK text and CRLF lines is at its first character", async () => {
    expect(await positionOf("let a = 1;\n\tenum E { A }\n", ScriptLanguage.TYPESCRIPT)).toEqual(["2", "2"]);
    expect(await positionOf("let s = '漢字';\r\n\t\tlet t = '😀'; enum E { A }\r\n", ScriptLanguage.TYPESCRIPT)).toEqual(["2", "17"]);
    expect(await positionOf("let a = 1;\u2028\tnamespace N { let x = 1 }\n", ScriptLanguage.TYPESCRIPT)).toEqual(["2", "2"]);
  });

  it("the stripper still works after positions were looked up", async () => {
    const r = await clientFor(ScriptService, "grpc-js", server).runScript({
      source: "const s: string = '漢\\t😀';\ns.length",
      compilation: { language: ScriptLanguage.TYPESCRIPT },
    });
    expect([r.result?.success, r.result?.returnValue?.kind.value]).toEqual([true, 4]);
  });
});
